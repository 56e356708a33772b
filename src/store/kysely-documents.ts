import type { Kysely, Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import { indexedText } from './indexed-text.js';
import { type Param, type PreparedQuery, prepareQuery } from './prepared-query.js';
import { toChunk } from './rows.js';
import type { Database } from './schema.js';
import type { Chunk, ChunkDraftInput, DocumentUpsert, FileStats, StoredDocument } from './store.js';

/** Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 200;

type ChangeResult = { created: { id: number; text: string }[]; removed: number[] };

/** A chunk as search hands it out: with its document's path and version and its source's name. */
const CHUNK_COLUMNS = [
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
] as const;

type ChunkRow = Parameters<typeof toChunk>[0];

/** `getChunks` query shapes kept compiled, one per number of ids (searches ask for 1 to ~60). */
const CHUNK_SHAPES = 128;

/**
 * Documents and their chunks: the dialect-neutral half of the knowledge store, shared by the
 * SQLite and PostgreSQL adapters (each adds its own lexical search over the same `chunks`).
 */
export class KyselyDocuments {
  private readonly chunkShapes = new LRUCache<
    number,
    PreparedQuery<Record<string, number>, ChunkRow>
  >({ max: CHUNK_SHAPES });

  /** `readDb` serves `getChunks` (search results) and may be a replica; sync reads use `db`. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readDb: Kysely<Database> = db,
  ) {}

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
  ): Promise<ChangeResult> {
    const source = await this.db
      .selectFrom('sources')
      .select('workspace_id')
      .where('id', '=', sourceId)
      .executeTakeFirst();
    if (!source) return { created: [], removed: [] };
    return this.db.transaction().execute(async (trx) => {
      const paths = [...change.deletes, ...change.upserts.map((upsert) => upsert.path)];
      const removed = await chunkIdsOf(trx, sourceId, paths);
      for (let start = 0; start < change.deletes.length; start += BATCH) {
        await trx
          .deleteFrom('documents')
          .where('source_id', '=', sourceId)
          .where('path', 'in', change.deletes.slice(start, start + BATCH))
          .execute();
      }
      const created: ChangeResult['created'] = [];
      const now = new Date().toISOString();
      for (const upsert of change.upserts) {
        const documentId = await upsertDocument(trx, sourceId, version, upsert, now);
        await trx.deleteFrom('chunks').where('document_id', '=', documentId).execute();
        const owner = { documentId, sourceId, workspaceId: source.workspace_id };
        created.push(...(await insertChunks(trx, owner, upsert.chunks)));
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

  async getChunks(ids: number[]): Promise<Chunk[]> {
    if (ids.length === 0) return [];
    const values: Record<string, number> = {};
    ids.forEach((id, index) => (values[`id${index}`] = id));
    const rows = await this.chunksById(ids.length).all(this.readDb, values);
    const byId = new Map(rows.map((row) => [row.id, toChunk(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Chunks by `count` ids, `id0` … `id<count - 1>`: search reads them on every call. */
  private chunksById(count: number) {
    let query = this.chunkShapes.get(count);
    if (!query) {
      query = prepareQuery(`chunks-by-id-${count}`, (param: Param<Record<string, number>>) =>
        this.readDb
          .selectFrom('chunks')
          .innerJoin('documents', 'documents.id', 'chunks.document_id')
          .innerJoin('sources', 'sources.id', 'chunks.source_id')
          .select(CHUNK_COLUMNS)
          .where(
            'chunks.id',
            'in',
            Array.from({ length: count }, (_, index) => param(`id${index}`)),
          ),
      );
      this.chunkShapes.set(count, query);
    }
    return query;
  }

  async documentChunks(sourceId: string, path: string): Promise<Chunk[]> {
    const rows = await this.readDb
      .selectFrom('chunks')
      .innerJoin('documents', 'documents.id', 'chunks.document_id')
      .innerJoin('sources', 'sources.id', 'chunks.source_id')
      .select(CHUNK_COLUMNS)
      .where('documents.source_id', '=', sourceId)
      .where('documents.path', '=', path)
      .orderBy('chunks.line_start')
      .orderBy('chunks.id')
      .execute();
    return rows.map(toChunk);
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
    const flag = embedded ? 1 : 0;
    if (ids === 'all') {
      await this.db.updateTable('chunks').set({ embedded: flag }).execute();
      return;
    }
    for (let start = 0; start < ids.length; start += BATCH) {
      await this.db
        .updateTable('chunks')
        .set({ embedded: flag })
        .where('id', 'in', ids.slice(start, start + BATCH))
        .execute();
    }
  }
}

/** Ids of the chunks the given documents have now: what a change removes from the index. */
async function chunkIdsOf(
  trx: Transaction<Database>,
  sourceId: string,
  paths: string[],
): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < paths.length; start += BATCH) {
    const rows = await trx
      .selectFrom('chunks')
      .innerJoin('documents', 'documents.id', 'chunks.document_id')
      .select('chunks.id')
      .where('documents.source_id', '=', sourceId)
      .where('documents.path', 'in', paths.slice(start, start + BATCH))
      .execute();
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

async function upsertDocument(
  trx: Transaction<Database>,
  sourceId: string,
  version: string,
  upsert: DocumentUpsert,
  now: string,
): Promise<number> {
  const fields = {
    content_hash: upsert.contentHash,
    version,
    title: upsert.title,
    chunk_count: upsert.chunks.length,
    updated_at: now,
    size: upsert.stats?.size ?? -1,
    mtime_ms: upsert.stats?.mtimeMs ?? -1,
  };
  const document = await trx
    .insertInto('documents')
    .values({ source_id: sourceId, path: upsert.path, ...fields })
    .onConflict((conflict) => conflict.columns(['source_id', 'path']).doUpdateSet(fields))
    .returning('id')
    .executeTakeFirstOrThrow();
  return document.id;
}

async function insertChunks(
  trx: Transaction<Database>,
  owner: { documentId: number; sourceId: string; workspaceId: string },
  chunks: ChunkDraftInput[],
): Promise<{ id: number; text: string }[]> {
  const created: { id: number; text: string }[] = [];
  for (let start = 0; start < chunks.length; start += BATCH) {
    const rows = chunks.slice(start, start + BATCH).map((chunk, offset) => ({
      document_id: owner.documentId,
      source_id: owner.sourceId,
      workspace_id: owner.workspaceId,
      ordinal: start + offset,
      heading: chunk.heading,
      line_start: chunk.lineStart,
      line_end: chunk.lineEnd,
      text: chunk.text,
      search_text: indexedText(chunk.text),
      token_count: chunk.tokenCount,
    }));
    created.push(
      ...(await trx.insertInto('chunks').values(rows).returning(['id', 'text']).execute()),
    );
  }
  return created;
}
