import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite.js';
import { SqliteVectorIndex } from './vector-index-sqlite.js';

describe('sqlite-vec vector index', () => {
  let store: SqliteStore;
  let index: SqliteVectorIndex;
  let ids: number[];
  let sourceIds: string[];

  beforeEach(async () => {
    store = await SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'keel-vec-')), 'keel.db'));
    index = new SqliteVectorIndex(store.raw);
    const first = await store.createSource({ name: 'a', kind: 'folder', location: '/a' });
    const second = await store.createSource({ name: 'b', kind: 'folder', location: '/b' });
    sourceIds = [first.id, second.id];
    const chunk = (text: string) => ({
      heading: 'H',
      lineStart: 1,
      lineEnd: 1,
      text,
      tokenCount: 1,
    });
    const one = await store.applyDocumentChanges(first.id, 'v', {
      upserts: [
        { path: 'x.md', contentHash: 'x', title: 'X', chunks: [chunk('north'), chunk('east')] },
      ],
      deletes: [],
    });
    const two = await store.applyDocumentChanges(second.id, 'v', {
      upserts: [{ path: 'y.md', contentHash: 'y', title: 'Y', chunks: [chunk('north-ish')] }],
      deletes: [],
    });
    ids = [...one.created, ...two.created].map((created) => created.id);
  });
  afterEach(() => store.close());

  it('finds nearest chunks by cosine similarity, filtered by source', async () => {
    expect(await index.prepare({ model: 'm', dimensions: 3 })).toBe(true);
    expect(await index.prepare({ model: 'm', dimensions: 3 })).toBe(false);
    await index.upsert([
      { chunkId: ids[0]!, vector: [0, 1, 0] },
      { chunkId: ids[1]!, vector: [1, 0, 0] },
      { chunkId: ids[2]!, vector: [0.1, 0.9, 0] },
    ]);
    const hits = await index.search([0, 1, 0], { k: 3 });
    expect(hits.map((hit) => hit.chunkId)).toEqual([ids[0], ids[2], ids[1]]);
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    const scoped = await index.search([0, 1, 0], { k: 3, sourceIds: [sourceIds[1]!] });
    expect(scoped.map((hit) => hit.chunkId)).toEqual([ids[2]]);
    await index.remove([ids[0]!]);
    expect((await index.search([0, 1, 0], { k: 1 }))[0]?.chunkId).toBe(ids[2]);
  });

  it('resets when the model changes and rejects vectors of the wrong size', async () => {
    await index.prepare({ model: 'm', dimensions: 3 });
    await index.upsert([{ chunkId: ids[0]!, vector: [0, 1, 0] }]);
    expect(await index.prepare({ model: 'other', dimensions: 2 })).toBe(true);
    expect(await index.search([0, 1], { k: 5 })).toEqual([]);
    await expect(index.upsert([{ chunkId: ids[0]!, vector: [1, 2, 3] }])).rejects.toThrow(
      'dimensions',
    );
  });
});
