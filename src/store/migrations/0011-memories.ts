import type { KeelMigration } from './dialect.js';

/**
 * Long-term memory (Arbor & Kumori): what a user said about themselves, per user and workspace.
 * A deleted memory keeps its id without its text, so re-reading the same conversation never
 * brings it back.
 */
export const memories: KeelMigration = {
  async up(db) {
    await db.schema
      .createTable('memories')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('user_id', 'text', (column) => column.notNull())
      .addColumn('agent_id', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('text', 'text', (column) => column.notNull())
      .addColumn('conversation_id', 'text', (column) => column.notNull())
      .addColumn('message_id', 'text', (column) => column.notNull())
      .addColumn('embedding', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('forgotten_at', 'text')
      .execute();
    await db.schema
      .createIndex('memories_by_owner')
      .on('memories')
      .columns(['workspace_id', 'user_id', 'created_at'])
      .execute();
    await db.schema
      .createTable('memory_settings')
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('user_id', 'text', (column) => column.notNull())
      .addColumn('enabled', 'integer', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .addPrimaryKeyConstraint('memory_settings_pkey', ['workspace_id', 'user_id'])
      .execute();
  },
};
