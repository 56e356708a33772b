import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VectorIndex } from '../../src/store/vector-index.js';
import type { KnowledgeStore } from '../../src/store/store.js';

export interface VectorIndexFixture {
  index: VectorIndex;
  /** The store whose chunks the vectors belong to (both adapters resolve a chunk's source). */
  store: KnowledgeStore;
  close(): Promise<void>;
}

const chunk = (text: string, line: number) => ({
  heading: 'Doc > Section',
  lineStart: line,
  lineEnd: line,
  text,
  tokenCount: 1,
});

/** Creates `count` chunks in a new source and returns their ids in order. */
async function chunksIn(store: KnowledgeStore, name: string, count: number) {
  const source = await store.createSource({ name, kind: 'folder', location: `/${name}` });
  const chunks = Array.from({ length: count }, (_, line) => chunk(`${name} ${line}`, line + 1));
  const applied = await store.applyDocumentChanges(source.id, 'v1', {
    upserts: [{ path: `${name}.md`, contentHash: name, title: name, chunks }],
    deletes: [],
  });
  return { sourceId: source.id, ids: applied.created.map((created) => created.id) };
}

const ids = (hits: { chunkId: number }[]) => hits.map((hit) => hit.chunkId);

/**
 * The vector port's contract: sqlite-vec and pgvector must pass it unchanged.
 *
 * @example
 *   describeVectorIndexContract('sqlite-vec', async () => {
 *     const store = await SqliteStore.open(file);
 *     return { index: new SqliteVectorIndex(store.raw), store, close: () => store.close() };
 *   });
 */
export function describeVectorIndexContract(
  name: string,
  open: () => Promise<VectorIndexFixture>,
): void {
  describe(`vector index contract: ${name}`, () => {
    let fixture: VectorIndexFixture;
    let index: VectorIndex;
    let north: { sourceId: string; ids: number[] };
    let south: { sourceId: string; ids: number[] };

    beforeEach(async () => {
      fixture = await open();
      index = fixture.index;
      north = await chunksIn(fixture.store, 'north', 3);
      south = await chunksIn(fixture.store, 'south', 2);
    });
    afterEach(() => fixture.close());

    it('finds nothing before it is prepared, and resets only when the model changes', async () => {
      expect(await index.search([1, 0, 0], { k: 5 })).toEqual([]);
      expect(await index.prepare({ model: 'm', dimensions: 3 })).toBe(true);
      expect(await index.prepare({ model: 'm', dimensions: 3 })).toBe(false);
      await index.upsert([{ chunkId: north.ids[0]!, vector: [1, 0, 0] }]);
      expect(ids(await index.search([1, 0, 0], { k: 5 }))).toEqual([north.ids[0]]);

      expect(await index.prepare({ model: 'm2', dimensions: 3 })).toBe(true);
      expect(await index.search([1, 0, 0], { k: 5 })).toEqual([]);
      expect(await index.prepare({ model: 'm2', dimensions: 2 })).toBe(true);
      expect(await index.search([1, 0], { k: 5 })).toEqual([]);
    });

    it('orders by cosine similarity, reports it as the score, and honours k', async () => {
      await index.prepare({ model: 'm', dimensions: 3 });
      await index.upsert([
        { chunkId: north.ids[0]!, vector: [-1, 0, 0] },
        { chunkId: north.ids[1]!, vector: [1, 1, 0] },
        { chunkId: north.ids[2]!, vector: [0, 0, 3] },
        { chunkId: south.ids[0]!, vector: [2, 0, 0] },
      ]);
      const hits = await index.search([1, 0, 0], { k: 10 });
      expect(ids(hits)).toEqual([south.ids[0], north.ids[1], north.ids[2], north.ids[0]]);
      // Length does not matter: [2, 0, 0] is as close to [1, 0, 0] as [1, 0, 0] itself.
      const scores = hits.map((hit) => hit.score);
      [1, Math.SQRT1_2, 0, -1].forEach((expected, position) =>
        expect(scores[position]).toBeCloseTo(expected, 5),
      );
      expect(ids(await index.search([1, 0, 0], { k: 2 }))).toEqual([south.ids[0], north.ids[1]]);
    });

    it('overwrites a chunk upserted again, and forgets removed chunks', async () => {
      await index.prepare({ model: 'm', dimensions: 3 });
      await index.upsert([
        { chunkId: north.ids[0]!, vector: [1, 0, 0] },
        { chunkId: north.ids[1]!, vector: [0, 1, 0] },
      ]);
      await index.upsert([{ chunkId: north.ids[0]!, vector: [0, 0, 1] }]);
      const hits = await index.search([0, 0, 1], { k: 10 });
      expect(ids(hits)).toEqual([north.ids[0], north.ids[1]]);
      expect(hits[0]!.score).toBeCloseTo(1, 5);

      await index.remove([north.ids[0]!, 999_999]);
      expect(ids(await index.search([0, 0, 1], { k: 10 }))).toEqual([north.ids[1]]);
      await index.remove([]);
    });

    it('searches only the sources asked for; an empty list finds nothing', async () => {
      await index.prepare({ model: 'm', dimensions: 3 });
      await index.upsert([
        { chunkId: north.ids[0]!, vector: [1, 0, 0] },
        { chunkId: north.ids[1]!, vector: [0.9, 0.1, 0] },
        { chunkId: south.ids[0]!, vector: [0, 1, 0] },
        { chunkId: south.ids[1]!, vector: [0.1, 0.9, 0] },
      ]);
      const query = [1, 0, 0];
      expect(ids(await index.search(query, { k: 2, sourceIds: [south.sourceId] }))).toEqual([
        south.ids[1],
        south.ids[0],
      ]);
      expect(ids(await index.search(query, { k: 4, sourceIds: [north.sourceId] }))).toEqual([
        north.ids[0],
        north.ids[1],
      ]);
      const both = await index.search(query, { k: 3, sourceIds: [north.sourceId, south.sourceId] });
      expect(ids(both)).toEqual([north.ids[0], north.ids[1], south.ids[1]]);
      expect(await index.search(query, { k: 4, sourceIds: [] })).toEqual([]);
    });

    it('finds a small source whose vectors are all farther than a large one’s', async () => {
      await index.prepare({ model: 'm', dimensions: 3 });
      const near = await chunksIn(fixture.store, 'near', 300);
      const unit = (angle: number) => [Math.cos(angle), Math.sin(angle), 0];
      await index.upsert([
        ...near.ids.map((chunkId, position) => ({ chunkId, vector: unit(position / 1000) })),
        ...south.ids.map((chunkId, position) => ({ chunkId, vector: unit(2 + position / 10) })),
      ]);
      const hits = await index.search(unit(0), { k: 2, sourceIds: [south.sourceId] });
      expect(ids(hits)).toEqual(south.ids);
    });

    it('rejects vectors whose dimension is not the prepared one, naming both', async () => {
      await index.upsert([]);
      await index.prepare({ model: 'm', dimensions: 3 });
      await expect(index.upsert([{ chunkId: north.ids[0]!, vector: [1, 2] }])).rejects.toThrow(
        /2 dimensions.*expects 3/,
      );
      await expect(index.search([1, 2, 3, 4], { k: 1 })).rejects.toThrow(/4 dimensions.*expects 3/);
      await expect(index.prepare({ model: 'm', dimensions: 0 })).rejects.toThrow(RangeError);
    });
  });
}
