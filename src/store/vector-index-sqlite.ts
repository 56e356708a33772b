import type BetterSqlite3 from 'better-sqlite3';
import type { VectorHit, VectorIndex } from './vector-index.js';

const MAX_KNN = 4096;

/**
 * sqlite-vec (`vec0`) index living in the store's own SQLite file and connection. Vectors are
 * partitioned by their chunk's source, so a scoped search finds the nearest chunks of those
 * sources however many nearer ones other sources hold.
 */
export class SqliteVectorIndex implements VectorIndex {
  private dimensions = 0;

  constructor(private readonly database: BetterSqlite3.Database) {
    database.exec(
      'create table if not exists vector_meta (model text not null, dimensions integer not null)',
    );
    // Files from before the source partition: forget the shape, so the next prepare() rebuilds
    // the table and the backfill re-embeds every chunk. Until then search is lexical only.
    const table = database
      .prepare("select sql from sqlite_master where name = 'chunk_vectors'")
      .get() as { sql: string } | undefined;
    if (table && !table.sql.includes('partition key')) database.exec('delete from vector_meta');
    const meta = database.prepare('select dimensions from vector_meta').get() as
      { dimensions: number } | undefined;
    this.dimensions = meta?.dimensions ?? 0;
  }

  async prepare(shape: { model: string; dimensions: number }): Promise<boolean> {
    const meta = this.database.prepare('select model, dimensions from vector_meta').get() as
      { model: string; dimensions: number } | undefined;
    if (meta?.model === shape.model && meta.dimensions === shape.dimensions) return false;
    if (!Number.isInteger(shape.dimensions) || shape.dimensions < 1 || shape.dimensions > 8192) {
      throw new RangeError(`Embedding dimension ${shape.dimensions} is out of range`);
    }
    this.database.transaction(() => {
      this.database.exec('drop table if exists chunk_vectors');
      this.database.exec(
        `create virtual table chunk_vectors using vec0(chunk_id integer primary key, source_id text partition key, embedding float[${shape.dimensions}] distance_metric=cosine)`,
      );
      this.database.exec('delete from vector_meta');
      this.database
        .prepare('insert into vector_meta (model, dimensions) values (?, ?)')
        .run(shape.model, shape.dimensions);
    })();
    this.dimensions = shape.dimensions;
    return true;
  }

  async upsert(items: { chunkId: number; vector: number[] }[]): Promise<void> {
    if (items.length === 0) return;
    const sourceOf = this.database.prepare('select source_id as sourceId from chunks where id = ?');
    const remove = this.database.prepare('delete from chunk_vectors where chunk_id = ?');
    const insert = this.database.prepare(
      'insert into chunk_vectors (chunk_id, source_id, embedding) values (?, ?, ?)',
    );
    this.database.transaction(() => {
      for (const item of items) {
        if (item.vector.length !== this.dimensions) {
          throw new RangeError(
            `Vector has ${item.vector.length} dimensions, index expects ${this.dimensions}`,
          );
        }
        const chunk = sourceOf.get(item.chunkId) as { sourceId: string } | undefined;
        // A chunk deleted since it was read has nothing left to find.
        if (!chunk) continue;
        remove.run(BigInt(item.chunkId));
        insert.run(BigInt(item.chunkId), chunk.sourceId, new Float32Array(item.vector));
      }
    })();
  }

  async remove(chunkIds: number[]): Promise<void> {
    if (this.dimensions === 0 || chunkIds.length === 0) return;
    const remove = this.database.prepare('delete from chunk_vectors where chunk_id = ?');
    this.database.transaction(() => {
      for (const id of chunkIds) remove.run(BigInt(id));
    })();
  }

  async search(
    vector: number[],
    options: { k: number; sourceIds?: string[] },
  ): Promise<VectorHit[]> {
    if (this.dimensions === 0 || options.sourceIds?.length === 0) return [];
    // A query from another model (changed before the backfill re-embedded) must not pass silently.
    if (vector.length !== this.dimensions) {
      throw new RangeError(
        `Query vector has ${vector.length} dimensions, index expects ${this.dimensions}`,
      );
    }
    const sources = options.sourceIds ?? [];
    const sourceFilter = options.sourceIds
      ? `and v.source_id in (${sources.map(() => '?').join(', ')})`
      : '';
    // The join drops vectors whose chunk is gone (remove() is called after the chunks go).
    const rows = this.database
      .prepare(
        `select v.chunk_id as chunkId, v.distance as distance
         from chunk_vectors v join chunks c on c.id = v.chunk_id
         where v.embedding match ? and k = ? ${sourceFilter}
         order by v.distance`,
      )
      .all(new Float32Array(vector), Math.min(MAX_KNN, options.k), ...sources) as {
      chunkId: number;
      distance: number;
    }[];
    // With several partitions named, vec0 returns k per partition: keep the k nearest overall.
    return rows
      .slice(0, options.k)
      .map((row) => ({ chunkId: Number(row.chunkId), score: 1 - row.distance }));
  }
}
