import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  Conversation,
  ConversationCursor,
  ConversationMessage,
  ConversationStore,
  NewMessage,
} from './conversation-store.js';
import type { Database } from './schema.js';

function toConversation(row: Selectable<Database['conversations']>): Conversation {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    title: row.title,
    agent: row.agent,
    messageCount: Number(row.message_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toMessage(row: Selectable<Database['conversation_messages']>): ConversationMessage {
  return {
    id: String(row.id),
    role: row.role as ConversationMessage['role'],
    content: row.content,
    citations: JSON.parse(row.citations) as unknown[],
    decision: row.decision
      ? (JSON.parse(row.decision) as NonNullable<ConversationMessage['decision']>)
      : null,
    agent: row.agent,
    traceId: row.trace_id,
    createdAt: row.created_at,
  };
}

/** Conversations on any Kysely dialect; listings may read from a replica. */
export class KyselyConversations implements ConversationStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readDb: Kysely<Database> = db,
  ) {}

  async create(input: {
    workspaceId: string;
    userId: string;
    title: string;
    agent?: string | null;
    at?: string;
  }): Promise<Conversation> {
    const at = input.at ?? new Date().toISOString();
    const row = {
      id: `cnv_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      workspace_id: input.workspaceId,
      user_id: input.userId,
      title: input.title,
      agent: input.agent ?? null,
      message_count: 0,
      created_at: at,
      updated_at: at,
    };
    await this.db.insertInto('conversations').values(row).execute();
    return toConversation(row);
  }

  async get(id: string, userId: string): Promise<Conversation | undefined> {
    const row = await this.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && toConversation(row);
  }

  async list(
    userId: string,
    options: { limit: number; after?: ConversationCursor },
  ): Promise<Conversation[]> {
    let query = this.readDb
      .selectFrom('conversations')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit);
    const after = options.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('updated_at', '<', after.updatedAt),
          eb.and([eb('updated_at', '=', after.updatedAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    return (await query.execute()).map(toConversation);
  }

  async append(
    id: string,
    userId: string,
    messages: NewMessage[],
    at = new Date().toISOString(),
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('conversations')
        .set({
          updated_at: at,
          message_count: sql<number>`message_count + ${messages.length}`,
        })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      if (messages.length === 0) return true;
      await trx
        .insertInto('conversation_messages')
        .values(
          messages.map((message) => ({
            conversation_id: id,
            role: message.role,
            content: message.content,
            citations: JSON.stringify(message.citations ?? []),
            decision: message.decision ? JSON.stringify(message.decision) : null,
            agent: message.agent ?? null,
            trace_id: message.traceId ?? null,
            created_at: at,
          })),
        )
        .execute();
      return true;
    });
  }

  async messages(id: string, userId: string): Promise<ConversationMessage[]> {
    const rows = await this.db
      .selectFrom('conversation_messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .selectAll('m')
      .where('m.conversation_id', '=', id)
      .where('c.user_id', '=', userId)
      .orderBy('m.id')
      .execute();
    return rows.map(toMessage);
  }

  async delete(id: string, userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // Explicit, not left to the foreign key: SQLite enforces cascades only per connection setting.
      const owned = await trx
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!owned) return false;
      await trx.deleteFrom('conversation_messages').where('conversation_id', '=', id).execute();
      await trx.deleteFrom('conversations').where('id', '=', id).execute();
      return true;
    });
  }
}
