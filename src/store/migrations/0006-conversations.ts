import { sql } from 'kysely';
import type { KeelMigration } from './dialect.js';

/**
 * Chat history per user. Messages keep what the user saw: the answer, its citations and the
 * governor's decision (with the refusal reason), as JSON text in both dialects.
 */
export const conversations: KeelMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('conversations')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('user_id', 'text', (column) => column.notNull())
      .addColumn('title', 'text', (column) => column.notNull())
      .addColumn('agent', 'text')
      .addColumn('message_count', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('conversations_by_user')
      .on('conversations')
      .columns(['user_id', 'updated_at', 'id'])
      .execute();
    await db.schema
      .createTable('conversation_messages')
      .addColumn('id', dialect.id, (column) => column.primaryKey())
      .addColumn('conversation_id', 'text', (column) =>
        column.notNull().references('conversations.id').onDelete('cascade'),
      )
      .addColumn('role', 'text', (column) =>
        column.notNull().check(sql`role in ('user', 'assistant')`),
      )
      .addColumn('content', 'text', (column) => column.notNull())
      .addColumn('citations', 'text', (column) => column.notNull().defaultTo('[]'))
      .addColumn('decision', 'text')
      .addColumn('agent', 'text')
      .addColumn('trace_id', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('messages_by_conversation')
      .on('conversation_messages')
      .columns(['conversation_id', 'id'])
      .execute();
  },
};
