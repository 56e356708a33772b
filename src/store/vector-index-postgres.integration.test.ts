import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeVectorIndexContract } from '../../test/contracts/vector-index-contract.js';
import { type TestDatabase, createTestDatabase } from '../../test/helpers/postgres-database.js';
import { PostgresStore } from './postgres.js';
import { PostgresVectorIndex } from './vector-index-postgres.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const openStore = async () =>
  PostgresStore.open({ url: await database.freshSchemaUrl(), poolMax: 4 });

describeVectorIndexContract('pgvector', async () => {
  const store = await openStore();
  const index = new PostgresVectorIndex({ db: store.db, readDb: store.readDb });
  return { index, store, close: () => store.close() };
});

/** A unit vector at `angle` radians in the first plane, padded with zeros. */
const direction = (angle: number, dimensions = 3) => {
  const vector = new Array<number>(dimensions).fill(0);
  vector[0] = Math.cos(angle);
  vector[1] = Math.sin(angle);
  return vector;
};

describe('pgvector index', () => {
  let store: PostgresStore;
  beforeEach(async () => {
    store = await openStore();
  });
  afterEach(() => store.close());

  async function chunks(name: string, count: number, on: PostgresStore = store) {
    const source = await on.createSource({ name, kind: 'folder', location: `/${name}` });
    const text = Array.from({ length: count }, (_, line) => ({
      heading: 'H',
      lineStart: line + 1,
      lineEnd: line + 1,
      text: `${name} ${line}`,
      tokenCount: 1,
    }));
    const applied = await on.applyDocumentChanges(source.id, 'v1', {
      upserts: [{ path: `${name}.md`, contentHash: name, title: name, chunks: text }],
      deletes: [],
    });
    return { sourceId: source.id, ids: applied.created.map((created) => created.id) };
  }

  it('keeps walking the HNSW graph until a filtered search has k hits (iterative scan)', async () => {
    // Only the graph may answer: no sequential scan, no per-source index to fall back on.
    const url = new URL(await database.freshSchemaUrl());
    url.searchParams.set('options', `${url.searchParams.get('options')} -c enable_seqscan=off`);
    const graphOnly = await PostgresStore.open({ url: url.href, poolMax: 2 });
    try {
      const index = new PostgresVectorIndex({ db: graphOnly.db, efSearch: 10 });
      await index.prepare({ model: 'm', dimensions: 3 });
      await sql`drop index chunk_vectors_by_source`.execute(graphOnly.db);
      const near = await chunks('near', 400, graphOnly);
      const far = await chunks('far', 3, graphOnly);
      await index.upsert([
        ...near.ids.map((chunkId, position) => ({ chunkId, vector: direction(position / 1000) })),
        ...far.ids.map((chunkId, position) => ({ chunkId, vector: direction(2 + position / 10) })),
      ]);
      await sql`analyze chunk_vectors`.execute(graphOnly.db);
      const plan = await sql<{ 'QUERY PLAN': string }>`
        explain select chunk_id from chunk_vectors where source_id = any(${[far.sourceId]}::text[])
        order by embedding <=> ${'[1,0,0]'}::vector limit 3`.execute(graphOnly.db);
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('chunk_vectors_hnsw');
      const hits = await index.search(direction(0), { k: 3, sourceIds: [far.sourceId] });
      expect(hits.map((hit) => hit.chunkId)).toEqual(far.ids);
    } finally {
      await graphOnly.close();
    }
  });

  it('returns k neighbours even when k exceeds ef_search', async () => {
    const index = new PostgresVectorIndex({ db: store.db, efSearch: 10 });
    await index.prepare({ model: 'm', dimensions: 3 });
    const many = await chunks('many', 60);
    await index.upsert(
      many.ids.map((chunkId, position) => ({ chunkId, vector: direction(position / 100) })),
    );
    const hits = await index.search(direction(0), { k: 50 });
    expect(hits.map((hit) => hit.chunkId)).toEqual(many.ids.slice(0, 50));
  });

  it('lets one of several processes preparing at once reset the table', async () => {
    const indexes = [1, 2, 3].map(() => new PostgresVectorIndex({ db: store.db }));
    const resets = await Promise.all(
      indexes.map((index) => index.prepare({ model: 'm', dimensions: 3 })),
    );
    expect(resets.filter(Boolean)).toHaveLength(1);
  });

  it('drops the vectors of deleted chunks with them', async () => {
    const index = new PostgresVectorIndex({ db: store.db });
    await index.prepare({ model: 'm', dimensions: 3 });
    const doc = await chunks('doc', 2);
    await index.upsert(doc.ids.map((chunkId) => ({ chunkId, vector: [1, 0, 0] })));
    await store.applyDocumentChanges(doc.sourceId, 'v2', { upserts: [], deletes: ['doc.md'] });
    expect(await index.search([1, 0, 0], { k: 5 })).toEqual([]);
  });

  it('indexes dimensions beyond 2,000 at half precision', async () => {
    const index = new PostgresVectorIndex({ db: store.db });
    await index.prepare({ model: 'large', dimensions: 3072 });
    const doc = await chunks('wide', 2);
    await index.upsert([
      { chunkId: doc.ids[0]!, vector: direction(0, 3072) },
      { chunkId: doc.ids[1]!, vector: direction(1, 3072) },
    ]);
    const hits = await index.search(direction(0.9, 3072), { k: 2 });
    expect(hits.map((hit) => hit.chunkId)).toEqual([doc.ids[1], doc.ids[0]]);
    expect(hits[0]!.score).toBeCloseTo(Math.cos(0.1), 3);
  });
});
