import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeVectorIndexContract } from '../../test/contracts/vector-index-contract.js';
import { SqliteStore } from './sqlite.js';
import { SqliteVectorIndex } from './vector-index-sqlite.js';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'keel-vec-')), 'keel.db');

describeVectorIndexContract('sqlite-vec', async () => {
  const store = await SqliteStore.open(tempFile());
  return { index: new SqliteVectorIndex(store.raw), store, close: () => store.close() };
});

describe('sqlite-vec vector index', () => {
  it('keeps its vectors and model in the file across a reopen', async () => {
    const file = tempFile();
    const first = await SqliteStore.open(file);
    const source = await first.createSource({ name: 'a', kind: 'folder', location: '/a' });
    const { created } = await first.applyDocumentChanges(source.id, 'v', {
      upserts: [
        {
          path: 'a.md',
          contentHash: 'a',
          title: 'A',
          chunks: [{ heading: 'H', lineStart: 1, lineEnd: 1, text: 'a', tokenCount: 1 }],
        },
      ],
      deletes: [],
    });
    const chunkId = created[0]!.id;
    await new SqliteVectorIndex(first.raw).prepare({ model: 'm', dimensions: 2 });
    await new SqliteVectorIndex(first.raw).upsert([{ chunkId, vector: [1, 0] }]);
    await first.close();

    const second = await SqliteStore.open(file);
    const index = new SqliteVectorIndex(second.raw);
    expect((await index.search([1, 0], { k: 1 })).map((hit) => hit.chunkId)).toEqual([chunkId]);
    expect(await index.prepare({ model: 'm', dimensions: 2 })).toBe(false);
    await second.close();
  });

  it('rebuilds a table from before the source partition on the next prepare', async () => {
    const store = await SqliteStore.open(tempFile());
    store.raw.exec(
      'create virtual table chunk_vectors using vec0(chunk_id integer primary key, embedding float[2] distance_metric=cosine)',
    );
    store.raw.exec(
      "create table vector_meta (model text not null, dimensions integer not null); insert into vector_meta values ('m', 2)",
    );
    const index = new SqliteVectorIndex(store.raw);
    expect(await index.search([1, 0], { k: 1 })).toEqual([]);
    expect(await index.prepare({ model: 'm', dimensions: 2 })).toBe(true);
    await store.close();
  });
});
