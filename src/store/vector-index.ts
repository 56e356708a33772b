/**
 * The vector port: nearest chunks to a query vector by cosine distance. `vector-index-sqlite.ts`
 * implements it with sqlite-vec; a pgvector adapter implements the same interface.
 *
 * @example
 *   await index.prepare({ model: 'text-embedding-3-small', dimensions: 1536 });
 *   await index.upsert([{ chunkId: 7, vector }]);
 *   const nearest = await index.search(queryVector, { k: 10 });
 */
export interface VectorHit {
  chunkId: number;
  /** Cosine similarity, higher is closer. */
  score: number;
}

export interface VectorIndex {
  /**
   * Makes the index ready for vectors of this model; returns true when it had to be reset
   * (first use or a different model/dimension), so callers re-embed every chunk.
   */
  prepare(shape: { model: string; dimensions: number }): Promise<boolean>;
  upsert(items: { chunkId: number; vector: number[] }[]): Promise<void>;
  remove(chunkIds: number[]): Promise<void>;
  search(vector: number[], options: { k: number; sourceIds?: string[] }): Promise<VectorHit[]>;
}
