import { type Kysely, sql } from 'kysely';
import { LOCK_NAMESPACE, lockForTransaction } from './postgres-locks.js';
import type { Database } from './schema.js';
import type { VectorHit, VectorIndex } from './vector-index.js';

/** pgvector's defaults, written out so the benchmark and the index agree on what was built. */
export const HNSW_M = 16;
export const HNSW_EF_CONSTRUCTION = 64;
const DEFAULT_EF_SEARCH = 40;
/** pgvector's ceiling for `hnsw.ef_search`. */
const MAX_EF_SEARCH = 1000;
/** HNSW indexes `vector` up to 2,000 dimensions and `halfvec` up to 4,000. */
const MAX_FULL_PRECISION = 2000;
const MAX_DIMENSIONS = 4000;
/** Rows per insert statement: 500 × 1,536 floats stays far below any message-size limit. */
const UPSERT_BATCH = 500;
/** Without iterative scans a filter applies after the graph walk, so walk this much further. */
const OVER_FETCH = 8;

interface Shape {
  model: string;
  dimensions: number;
}

export interface PostgresVectorIndexOptions {
  /** The primary: `prepare`, `upsert` and `remove`. */
  db: Kysely<Database>;
  /** Where searches run (a read replica); the primary when unset. */
  readDb?: Kysely<Database>;
  /** Candidates the HNSW walk keeps (recall against speed); raised to `k` when `k` is larger. */
  efSearch?: number;
}

const columnType = (dimensions: number) =>
  dimensions <= MAX_FULL_PRECISION ? 'vector' : 'halfvec';
const literal = (vector: number[]) => `[${vector.join(',')}]`;

/**
 * The vector port on pgvector: one `chunk_vectors` table with an HNSW index on cosine distance,
 * created in `prepare` because only the embedder knows the dimension. Each row carries its
 * chunk's source, so a scoped search is a plain `where` that pgvector's iterative scan (0.8+)
 * keeps walking the graph for; rows follow their chunk out on delete.
 *
 * @example
 *   const index = new PostgresVectorIndex({ db: store.db, readDb: store.readDb, efSearch: 80 });
 *   await index.prepare({ model: 'text-embedding-3-small', dimensions: 1536 });
 */
export class PostgresVectorIndex implements VectorIndex {
  private readonly db: Kysely<Database>;
  private readonly readDb: Kysely<Database>;
  private readonly efSearch: number;
  private shape: Shape | null | undefined;
  private iterativeScan: Promise<boolean> | undefined;

  constructor(options: PostgresVectorIndexOptions) {
    this.db = options.db;
    this.readDb = options.readDb ?? options.db;
    this.efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
    if (!Number.isInteger(this.efSearch) || this.efSearch < 1 || this.efSearch > MAX_EF_SEARCH) {
      throw new RangeError(`efSearch must be an integer from 1 to ${MAX_EF_SEARCH}`);
    }
  }

  async prepare(shape: { model: string; dimensions: number }): Promise<boolean> {
    const { dimensions } = shape;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      throw new RangeError(`Embedding dimension ${dimensions} is out of range 1–${MAX_DIMENSIONS}`);
    }
    const reset = await this.db.transaction().execute(async (trx) => {
      // Every process prepares at start-up; one resets, the others then find the new shape.
      await lockForTransaction(trx, LOCK_NAMESPACE.vectorSchema, 'chunk_vectors');
      const current = await readShape(trx);
      if (current?.model === shape.model && current.dimensions === dimensions) return false;
      const type = sql.raw(`${columnType(dimensions)}(${dimensions})`);
      await sql`drop table if exists chunk_vectors`.execute(trx);
      await sql`
        create table chunk_vectors (
          chunk_id bigint primary key references chunks (id) on delete cascade,
          source_id text not null,
          embedding ${type} not null
        )`.execute(trx);
      await sql`
        create index chunk_vectors_hnsw on chunk_vectors
        using hnsw (embedding ${sql.raw(`${columnType(dimensions)}_cosine_ops`)})
        with (m = ${sql.lit(HNSW_M)}, ef_construction = ${sql.lit(HNSW_EF_CONSTRUCTION)})`.execute(
        trx,
      );
      // A small source is cheaper to scan exactly than to find in a graph of everything.
      await sql`create index chunk_vectors_by_source on chunk_vectors (source_id)`.execute(trx);
      await sql`delete from vector_meta`.execute(trx);
      await sql`insert into vector_meta (model, dimensions) values (${shape.model}, ${dimensions})`.execute(
        trx,
      );
      return true;
    });
    this.shape = { model: shape.model, dimensions };
    return reset;
  }

  async upsert(items: { chunkId: number; vector: number[] }[]): Promise<void> {
    if (items.length === 0) return;
    const shape = await this.currentShape();
    const dimensions = shape?.dimensions ?? 0;
    for (const item of items) {
      if (item.vector.length !== dimensions) {
        throw new RangeError(
          `Vector has ${item.vector.length} dimensions, index expects ${dimensions}`,
        );
      }
    }
    // One statement may not update a row twice: the last vector given for a chunk wins.
    const latest = [...new Map(items.map((item) => [item.chunkId, item.vector])).entries()];
    const type = sql.raw(columnType(dimensions));
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < latest.length; start += UPSERT_BATCH) {
        const batch = latest.slice(start, start + UPSERT_BATCH);
        // The join takes each chunk's source and skips chunks deleted since they were read.
        await sql`
          insert into chunk_vectors (chunk_id, source_id, embedding)
          select given.chunk_id, c.source_id, given.embedding::${type}
          from unnest(${batch.map(([id]) => id)}::bigint[], ${batch.map(([, vector]) => literal(vector))}::text[])
            as given (chunk_id, embedding)
          join chunks c on c.id = given.chunk_id
          on conflict (chunk_id) do update
            set embedding = excluded.embedding, source_id = excluded.source_id`.execute(trx);
      }
    });
  }

  async remove(chunkIds: number[]): Promise<void> {
    if (chunkIds.length === 0 || !(await this.currentShape())) return;
    await sql`delete from chunk_vectors where chunk_id = any(${chunkIds}::bigint[])`.execute(
      this.db,
    );
  }

  async search(
    vector: number[],
    options: { k: number; sourceIds?: string[] },
  ): Promise<VectorHit[]> {
    if (options.k < 1 || options.sourceIds?.length === 0) return [];
    let shape = await this.currentShape();
    // Another process may have reset the index for a new model since this one last looked.
    if (shape?.dimensions !== vector.length) shape = this.shape = await readShape(this.db);
    if (!shape) return [];
    if (shape.dimensions !== vector.length) {
      throw new RangeError(
        `Query vector has ${vector.length} dimensions, index expects ${shape.dimensions}`,
      );
    }
    const filtered = options.sourceIds !== undefined;
    const iterative = filtered && (await this.supportsIterativeScan());
    // The walk returns at most ef_search rows, so it is never below k.
    const wanted = filtered && !iterative ? options.k * OVER_FETCH : options.k;
    const efSearch = Math.min(MAX_EF_SEARCH, Math.max(this.efSearch, wanted));
    const query = sql`${literal(vector)}::${sql.raw(columnType(shape.dimensions))}`;
    const sourceFilter = options.sourceIds
      ? sql`where source_id = any(${options.sourceIds}::text[])`
      : sql``;
    const rows = await this.readDb.transaction().execute(async (trx) => {
      await sql`set local hnsw.ef_search = ${sql.lit(efSearch)}`.execute(trx);
      if (iterative) await sql`set local hnsw.iterative_scan = relaxed_order`.execute(trx);
      const result = await sql<{ chunkId: number; distance: number }>`
        select chunk_id as "chunkId", embedding <=> ${query} as distance
        from chunk_vectors ${sourceFilter}
        order by distance
        limit ${options.k}`.execute(trx);
      return result.rows;
    });
    // relaxed_order may return neighbours slightly out of order; the list is short.
    return rows
      .sort((left, right) => left.distance - right.distance)
      .map((row) => ({ chunkId: Number(row.chunkId), score: 1 - row.distance }));
  }

  private async currentShape(): Promise<Shape | null> {
    if (this.shape === undefined) this.shape = await readShape(this.db);
    return this.shape;
  }

  private supportsIterativeScan(): Promise<boolean> {
    this.iterativeScan ??= sql<{ version: string }>`
      select extversion as version from pg_extension where extname = 'vector'`
      .execute(this.readDb)
      .then((result) => {
        const [major = 0, minor = 0] = (result.rows[0]?.version ?? '0').split('.').map(Number);
        return major > 0 || minor >= 8;
      });
    return this.iterativeScan;
  }
}

async function readShape(db: Kysely<Database>): Promise<Shape | null> {
  const result = await sql<Shape>`select model, dimensions from vector_meta`.execute(db);
  return result.rows[0] ?? null;
}
