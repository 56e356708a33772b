import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import * as sqliteVec from 'sqlite-vec';
import { sqliteMigrations } from './migrations/sqlite.js';
import type { Database } from './schema.js';
import {
  type AuditRecord,
  type Chunk,
  DEFAULT_WORKSPACE,
  type KnowledgeVersion,
  type NewSource,
  type PolicyActivation,
  type PolicyVersionRecord,
  type Source,
  type SourceStats,
  type Store,
  type StoredAuditRecord,
  type StoredDocument,
  type SyncError,
  type SyncStatus,
  type DocumentUpsert,
  type FileStats,
} from './store.js';
import { toAudit, toChunk, toKnowledgeVersion, toSource } from './rows.js';
import { migrateToLatest } from './migrate.js';
import { SqliteAccountStore } from './sqlite-accounts.js';
import { SqliteUsageStore } from './sqlite-usage.js';

const INSERT_BATCH = 200;

/**
 * The single-process store: one SQLite file (WAL) with FTS5 for lexical search and sqlite-vec
 * loaded for the vector index, which shares the connection (`raw`).
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly accounts: SqliteAccountStore;
  readonly usage: SqliteUsageStore;

  private constructor(
    readonly db: Kysely<Database>,
    readonly raw: BetterSqlite3.Database,
  ) {
    this.accounts = new SqliteAccountStore(db);
    this.usage = new SqliteUsageStore(db, raw);
  }

  static async open(file: string): Promise<SqliteStore> {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    sqliteVec.load(raw);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    await migrateToLatest(
      new Migrator({ db, provider: { getMigrations: async () => sqliteMigrations } }),
    );
    return new SqliteStore(db, raw);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // ── sources ──────────────────────────────────────────────────────────────

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
    };
    await this.db.insertInto('sources').values(row).execute();
    return toSource(row);
  }

  async listSources(workspaceId = DEFAULT_WORKSPACE): Promise<Source[]> {
    const rows = await this.db
      .selectFrom('sources')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at')
      .execute();
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

  // ── documents and chunks ─────────────────────────────────────────────────

  async documentHashes(sourceId: string): Promise<Map<string, StoredDocument>> {
    const rows = await this.db
      .selectFrom('documents')
      .select(['id', 'path', 'content_hash', 'size', 'mtime_ms'])
      .where('source_id', '=', sourceId)
      .execute();
    return new Map(
      rows.map((row) => [
        row.path,
        {
          id: row.id,
          path: row.path,
          contentHash: row.content_hash,
          size: row.size,
          mtimeMs: row.mtime_ms,
        },
      ]),
    );
  }

  async updateFileStats(sourceId: string, files: ({ path: string } & FileStats)[]): Promise<void> {
    if (files.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const file of files) {
        await trx
          .updateTable('documents')
          .set({ size: file.size, mtime_ms: file.mtimeMs })
          .where('source_id', '=', sourceId)
          .where('path', '=', file.path)
          .execute();
      }
    });
  }

  async applyDocumentChanges(
    sourceId: string,
    version: string,
    change: { upserts: DocumentUpsert[]; deletes: string[] },
  ): Promise<{ created: { id: number; text: string }[]; removed: number[] }> {
    const source = await this.getSource(sourceId);
    if (!source) return { created: [], removed: [] };
    return this.db.transaction().execute(async (trx) => {
      const created: { id: number; text: string }[] = [];
      const removed: number[] = [];
      const now = new Date().toISOString();
      const paths = [...change.deletes, ...change.upserts.map((upsert) => upsert.path)];
      for (let start = 0; start < paths.length; start += INSERT_BATCH) {
        const existing = await trx
          .selectFrom('chunks')
          .innerJoin('documents', 'documents.id', 'chunks.document_id')
          .select('chunks.id')
          .where('documents.source_id', '=', sourceId)
          .where('documents.path', 'in', paths.slice(start, start + INSERT_BATCH))
          .execute();
        removed.push(...existing.map((row) => row.id));
      }
      for (let start = 0; start < change.deletes.length; start += INSERT_BATCH) {
        await trx
          .deleteFrom('documents')
          .where('source_id', '=', sourceId)
          .where('path', 'in', change.deletes.slice(start, start + INSERT_BATCH))
          .execute();
      }
      for (const upsert of change.upserts) {
        const document = await trx
          .insertInto('documents')
          .values({
            source_id: sourceId,
            path: upsert.path,
            content_hash: upsert.contentHash,
            version,
            title: upsert.title,
            chunk_count: upsert.chunks.length,
            updated_at: now,
            size: upsert.stats?.size ?? -1,
            mtime_ms: upsert.stats?.mtimeMs ?? -1,
          })
          .onConflict((conflict) =>
            conflict.columns(['source_id', 'path']).doUpdateSet({
              content_hash: upsert.contentHash,
              version,
              title: upsert.title,
              chunk_count: upsert.chunks.length,
              updated_at: now,
              size: upsert.stats?.size ?? -1,
              mtime_ms: upsert.stats?.mtimeMs ?? -1,
            }),
          )
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.deleteFrom('chunks').where('document_id', '=', document.id).execute();
        for (let start = 0; start < upsert.chunks.length; start += INSERT_BATCH) {
          const rows = upsert.chunks.slice(start, start + INSERT_BATCH).map((chunk, offset) => ({
            document_id: document.id,
            source_id: sourceId,
            workspace_id: source.workspaceId,
            ordinal: start + offset,
            heading: chunk.heading,
            line_start: chunk.lineStart,
            line_end: chunk.lineEnd,
            text: chunk.text,
            token_count: chunk.tokenCount,
          }));
          const ids = await trx
            .insertInto('chunks')
            .values(rows)
            .returning(['id', 'text'])
            .execute();
          created.push(...ids);
        }
      }
      return { created, removed };
    });
  }

  async stampVersion(sourceId: string, version: string): Promise<void> {
    await this.db
      .updateTable('documents')
      .set({ version })
      .where('source_id', '=', sourceId)
      .execute();
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
    const rows = await this.db
      .selectFrom('knowledge_versions')
      .selectAll()
      .where('source_id', '=', sourceId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toKnowledgeVersion);
  }

  async lexicalSearch(
    terms: string[],
    options: { k: number; sourceIds?: string[] },
  ): Promise<{ chunkId: number; score: number }[]> {
    if (terms.length === 0 || options.sourceIds?.length === 0) return [];
    // Each term is quoted so FTS5 syntax in user text is matched literally, never parsed.
    const match = terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' OR ');
    const sourceFilter = options.sourceIds
      ? sql`and c.source_id in (${sql.join(options.sourceIds)})`
      : sql``;
    const result = await sql<{ chunkId: number; score: number }>`
      select c.id as "chunkId", -bm25(chunks_fts, 2.0, 1.0) as score
      from chunks_fts join chunks c on c.id = chunks_fts.rowid
      where chunks_fts match ${match} ${sourceFilter}
      order by bm25(chunks_fts, 2.0, 1.0)
      limit ${options.k}`.execute(this.db);
    return result.rows;
  }

  async getChunks(ids: number[]): Promise<Chunk[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('chunks')
      .innerJoin('documents', 'documents.id', 'chunks.document_id')
      .innerJoin('sources', 'sources.id', 'chunks.source_id')
      .select([
        'chunks.id',
        'chunks.source_id',
        'sources.name as source_name',
        'documents.path',
        'chunks.heading',
        'chunks.line_start',
        'chunks.line_end',
        'documents.version',
        'chunks.text',
        'chunks.token_count',
      ])
      .where('chunks.id', 'in', ids)
      .execute();
    const byId = new Map(rows.map((row) => [row.id, toChunk(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async chunksWithoutVectors(
    sourceIds: string[],
    limit: number,
    afterId: number,
  ): Promise<{ id: number; text: string }[]> {
    if (sourceIds.length === 0) return [];
    return this.db
      .selectFrom('chunks')
      .select(['id', 'text'])
      .where('source_id', 'in', sourceIds)
      .where('embedded', '=', 0)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  async markEmbedded(ids: number[] | 'all', embedded: boolean): Promise<void> {
    if (ids === 'all') {
      await this.db
        .updateTable('chunks')
        .set({ embedded: embedded ? 1 : 0 })
        .execute();
      return;
    }
    for (let start = 0; start < ids.length; start += INSERT_BATCH) {
      await this.db
        .updateTable('chunks')
        .set({ embedded: embedded ? 1 : 0 })
        .where('id', 'in', ids.slice(start, start + INSERT_BATCH))
        .execute();
    }
  }

  // ── policies ─────────────────────────────────────────────────────────────

  async savePolicyVersion(record: PolicyVersionRecord): Promise<void> {
    await this.db
      .insertInto('policy_versions')
      .values({
        version: record.version,
        files: JSON.stringify(record.files),
        created_at: record.createdAt,
      })
      .onConflict((conflict) => conflict.column('version').doNothing())
      .execute();
  }

  async getPolicyVersion(version: string): Promise<PolicyVersionRecord | undefined> {
    const row = await this.db
      .selectFrom('policy_versions')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
    return (
      row && {
        version: row.version,
        files: JSON.parse(row.files) as Record<string, string>,
        createdAt: row.created_at,
      }
    );
  }

  async findPolicyVersions(prefix: string): Promise<PolicyVersionRecord[]> {
    const rows = await this.db
      .selectFrom('policy_versions')
      .selectAll()
      .where('version', 'like', `${prefix.replace(/[%_]/g, '')}%`)
      .execute();
    return rows.map((row) => ({
      version: row.version,
      files: JSON.parse(row.files) as Record<string, string>,
      createdAt: row.created_at,
    }));
  }

  async listPolicyVersions(): Promise<Omit<PolicyVersionRecord, 'files'>[]> {
    const rows = await this.db
      .selectFrom('policy_versions')
      .select(['version', 'created_at'])
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((row) => ({ version: row.version, createdAt: row.created_at }));
  }

  async recordActivation(activation: Omit<PolicyActivation, 'id'>): Promise<PolicyActivation> {
    const row = await this.db
      .insertInto('policy_activations')
      .values({
        workspace_id: activation.workspaceId,
        version: activation.version,
        previous_version: activation.previousVersion,
        actor: activation.actor,
        reason: activation.reason,
        activated_at: activation.activatedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, ...activation };
  }

  async listActivations(workspaceId = DEFAULT_WORKSPACE, limit = 50): Promise<PolicyActivation[]> {
    const rows = await this.db
      .selectFrom('policy_activations')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      workspaceId: row.workspace_id,
      version: row.version,
      previousVersion: row.previous_version,
      actor: row.actor,
      reason: row.reason,
      activatedAt: row.activated_at,
    }));
  }

  // ── audit ────────────────────────────────────────────────────────────────

  async appendAudit(
    record: AuditRecord,
    sign: (payload: string, previousHash: string | null) => string,
  ): Promise<StoredAuditRecord> {
    return this.db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('audit_records')
        .select('hash')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const previousHash = last?.hash ?? null;
      const hash = sign(JSON.stringify(record), previousHash);
      const row = await trx
        .insertInto('audit_records')
        .values({
          trace_id: record.traceId,
          workspace_id: record.workspaceId,
          created_at: record.createdAt,
          kind: record.kind,
          policy_version: record.policyVersion,
          prompt_version: record.promptVersion,
          agent: record.agent,
          provider: record.provider,
          model: record.model,
          knowledge_versions: JSON.stringify(record.knowledgeVersions),
          input_tokens: record.inputTokens,
          output_tokens: record.outputTokens,
          latency_ms: record.latencyMs,
          decision: record.decision,
          steps: JSON.stringify(record.steps),
          previous_hash: previousHash,
          hash,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...record, id: row.id, previousHash, hash };
    });
  }

  async listAudit(
    options: { limit?: number; traceId?: string } = {},
  ): Promise<StoredAuditRecord[]> {
    let query = this.db
      .selectFrom('audit_records')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(options.limit ?? 50);
    if (options.traceId) query = query.where('trace_id', '=', options.traceId);
    return (await query.execute()).map(toAudit);
  }
}
