import type { Kysely, Selectable } from 'kysely';
import type { Memory, MemoryScope, MemoryStore } from './memory-store.js';
import type { Database } from './schema.js';

function toMemory(row: Selectable<Database['memories']>): Memory {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    agentId: row.agent_id,
    kind: row.kind as Memory['kind'],
    text: row.text,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    createdAt: row.created_at,
    embedding: row.embedding ? (JSON.parse(row.embedding) as number[]) : null,
  };
}

/** Memories on any Kysely dialect; the embedding is a JSON array (a user has few memories). */
export class KyselyMemories implements MemoryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async remember(memories: Memory[]): Promise<number> {
    if (memories.length === 0) return 0;
    const result = await this.db
      .insertInto('memories')
      .values(
        memories.map((memory) => ({
          id: memory.id,
          workspace_id: memory.workspaceId,
          user_id: memory.userId,
          agent_id: memory.agentId,
          kind: memory.kind,
          text: memory.text,
          conversation_id: memory.conversationId,
          message_id: memory.messageId,
          embedding: memory.embedding ? JSON.stringify(memory.embedding) : null,
          created_at: memory.createdAt,
          forgotten_at: null,
        })),
      )
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async list(scope: MemoryScope, options: { limit: number }): Promise<Memory[]> {
    const rows = await this.db
      .selectFrom('memories')
      .selectAll()
      .where('workspace_id', '=', scope.workspaceId)
      .where('user_id', '=', scope.userId)
      .where('forgotten_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit)
      .execute();
    return rows.map(toMemory);
  }

  private forgetWhere(scope: MemoryScope, id?: string) {
    let query = this.db
      .updateTable('memories')
      .set({ text: '', embedding: null, forgotten_at: new Date().toISOString() })
      .where('workspace_id', '=', scope.workspaceId)
      .where('user_id', '=', scope.userId)
      .where('forgotten_at', 'is', null);
    if (id !== undefined) query = query.where('id', '=', id);
    return query.executeTakeFirst();
  }

  async forget(scope: MemoryScope, id: string): Promise<boolean> {
    return Number((await this.forgetWhere(scope, id)).numUpdatedRows) > 0;
  }

  async forgetAll(scope: MemoryScope): Promise<number> {
    return Number((await this.forgetWhere(scope)).numUpdatedRows);
  }

  async enabled(scope: MemoryScope): Promise<boolean> {
    const row = await this.db
      .selectFrom('memory_settings')
      .select('enabled')
      .where('workspace_id', '=', scope.workspaceId)
      .where('user_id', '=', scope.userId)
      .executeTakeFirst();
    return row ? Boolean(row.enabled) : true;
  }

  async setEnabled(scope: MemoryScope, enabled: boolean): Promise<void> {
    const values = {
      workspace_id: scope.workspaceId,
      user_id: scope.userId,
      enabled: enabled ? 1 : 0,
      updated_at: new Date().toISOString(),
    };
    await this.db
      .insertInto('memory_settings')
      .values(values)
      .onConflict((conflict) =>
        conflict
          .columns(['workspace_id', 'user_id'])
          .doUpdateSet({ enabled: values.enabled, updated_at: values.updated_at }),
      )
      .execute();
  }
}
