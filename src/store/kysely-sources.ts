import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Param, prepareQuery } from './prepared-query.js';
import { toKnowledgeVersion, toSource } from './rows.js';
import type { Database } from './schema.js';
import {
  DEFAULT_WORKSPACE,
  type KnowledgeVersion,
  type NewSource,
  type Source,
  type SourceStats,
  type SyncError,
  type SyncStatus,
} from './store.js';

const INSERT_BATCH = 200;

/**
 * Knowledge sources, their sync errors and version history: queries that mean the same on every
 * Kysely dialect, shared by the SQLite and PostgreSQL adapters.
 */
export class KyselySources {
  /** A workspace's sources, read by every governed call: compiled once. */
  private readonly sourcesOf;

  /** `readDb` serves listings and may be a replica; lookups that precede a write use `db`. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readDb: Kysely<Database> = db,
  ) {
    this.sourcesOf = prepareQuery('sources-of-workspace', (param: Param<{ workspaceId: string }>) =>
      readDb
        .selectFrom('sources')
        .selectAll()
        .where('workspace_id', '=', param('workspaceId'))
        .orderBy('created_at'),
    );
  }

  async createSource(source: NewSource): Promise<Source> {
    const row = {
      id: `src_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      workspace_id: source.workspaceId ?? DEFAULT_WORKSPACE,
      name: source.name,
      kind: source.kind,
      location: source.location,
      config: JSON.stringify(source.config ?? {}),
      version: null,
      last_sync_at: null,
      last_sync_status: 'never',
      last_sync_message: null,
      created_at: new Date().toISOString(),
      sealed_credential: source.sealedCredential ?? null,
    };
    await this.db.insertInto('sources').values(row).execute();
    return toSource(row);
  }

  async listSources(workspaceId = DEFAULT_WORKSPACE): Promise<Source[]> {
    const rows = await this.sourcesOf.all(this.readDb, { workspaceId });
    return rows.map(toSource);
  }

  async getSource(id: string): Promise<Source | undefined> {
    const row = await this.db
      .selectFrom('sources')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSource(row);
  }

  async findSourceByName(
    name: string,
    workspaceId = DEFAULT_WORKSPACE,
  ): Promise<Source | undefined> {
    const row = await this.db
      .selectFrom('sources')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toSource(row);
  }

  async sourceCredential(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('sources')
      .select('sealed_credential')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.sealed_credential ?? undefined;
  }

  async sourcesWithCredentialsInLocation(): Promise<Source[]> {
    const rows = await this.db
      .selectFrom('sources')
      .selectAll()
      .where('kind', '=', 'git')
      .where((eb) =>
        eb.or([eb('location', 'like', 'http://%@%'), eb('location', 'like', 'https://%@%')]),
      )
      .execute();
    return rows.map(toSource);
  }

  async moveSourceCredential(
    id: string,
    move: { from: string; location: string; sealedCredential: string },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('sources')
      .set({ location: move.location, sealed_credential: move.sealedCredential })
      .where('id', '=', id)
      .where('location', '=', move.from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async updateSourceSync(
    id: string,
    update: { status: SyncStatus; message?: string | null; version?: string; at?: string },
  ): Promise<void> {
    await this.db
      .updateTable('sources')
      .set({
        last_sync_status: update.status,
        ...(update.message !== undefined && { last_sync_message: update.message }),
        ...(update.version !== undefined && { version: update.version }),
        ...(update.at !== undefined && { last_sync_at: update.at }),
      })
      .where('id', '=', id)
      .execute();
  }

  async sourceStats(id: string): Promise<SourceStats> {
    const counts = await this.db
      .selectFrom('documents')
      .select((eb) => [
        eb.fn.countAll<number>().as('documents'),
        eb.fn.sum<number>('chunk_count').as('chunks'),
      ])
      .where('source_id', '=', id)
      .executeTakeFirstOrThrow();
    const errors = await this.db
      .selectFrom('sync_errors')
      .select(['path', 'message'])
      .where('source_id', '=', id)
      .orderBy('path')
      .execute();
    return { documents: Number(counts.documents), chunks: Number(counts.chunks ?? 0), errors };
  }

  async replaceSyncErrors(sourceId: string, errors: SyncError[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sync_errors').where('source_id', '=', sourceId).execute();
      const now = new Date().toISOString();
      for (let start = 0; start < errors.length; start += INSERT_BATCH) {
        const rows = errors.slice(start, start + INSERT_BATCH).map((error) => ({
          source_id: sourceId,
          path: error.path,
          message: error.message,
          occurred_at: now,
        }));
        await trx.insertInto('sync_errors').values(rows).execute();
      }
    });
  }

  async recordKnowledgeVersion(version: KnowledgeVersion): Promise<void> {
    await this.db
      .insertInto('knowledge_versions')
      .values({
        source_id: version.sourceId,
        version: version.version,
        created_at: version.createdAt,
        documents: version.documents,
        chunks: version.chunks,
        added: version.added,
        updated: version.updated,
        removed: version.removed,
        errors: version.errors,
      })
      .execute();
  }

  async listKnowledgeVersions(sourceId: string, limit = 20): Promise<KnowledgeVersion[]> {
    const rows = await this.readDb
      .selectFrom('knowledge_versions')
      .selectAll()
      .where('source_id', '=', sourceId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toKnowledgeVersion);
  }
}
