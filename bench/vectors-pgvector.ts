import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import {
  HNSW_EF_CONSTRUCTION,
  HNSW_M,
  PostgresVectorIndex,
} from '../src/store/vector-index-postgres.js';
import { PostgresStore } from '../src/store/postgres.js';
import { createTestDatabase } from '../test/helpers/postgres-database.js';
import { isEntryPoint, writeResult } from './harness.js';
import { type ClusteredVectors, clusteredVectors, exactNearest } from './synthetic-vectors.js';

const VECTORS = 100_000;
const QUERIES = 200;
const DIMENSIONS = 384;
const CLUSTERS = 1_000;
const NOISE = 0.6;
const K = 10;
const EF_SEARCH = [10, 20, 40, 80, 160, 320];
const CLIENTS = 8;
/** Timed passes over the 200 queries per ef_search and client count (after one untimed pass). */
const PASSES = 2;
const CHUNKS_PER_DOCUMENT = 1_000;
const WHY_SYNTHETIC =
  'Synthetic vectors: no embedding model runs offline here. 1,000 gaussian clusters ' +
  `(member-to-centre cosine ~${(1 / Math.sqrt(1 + NOISE ** 2)).toFixed(2)}), seeded, normalised; ` +
  'queries are held-out draws from the same clusters, never inserted.';

const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;
const seconds = (started: number) => round((performance.now() - started) / 1000, 1);

/** One chunk row per vector, as the vectors' foreign key wants: 100 documents of 1,000 chunks. */
async function createChunks(store: PostgresStore, count: number): Promise<number[]> {
  const source = await store.createSource({ name: 'bench', kind: 'folder', location: '/bench' });
  const ids: number[] = [];
  for (let first = 0; first < count; first += CHUNKS_PER_DOCUMENT) {
    const chunks = Array.from({ length: Math.min(CHUNKS_PER_DOCUMENT, count - first) }, (_, n) => ({
      heading: 'Bench',
      lineStart: n + 1,
      lineEnd: n + 1,
      text: `vector ${first + n}`,
      tokenCount: 2,
    }));
    const applied = await store.applyDocumentChanges(source.id, 'v1', {
      upserts: [{ path: `${first}.md`, contentHash: String(first), title: 'Bench', chunks }],
      deletes: [],
    });
    ids.push(...applied.created.map((created) => created.id));
  }
  return ids;
}

interface Level {
  queriesPerSecond: number;
  meanMs: number;
}

/** Runs every query `PASSES` times from `clients` closed-loop clients; one untimed pass first. */
async function timed(
  clients: number,
  queries: Float32Array[],
  search: (query: Float32Array) => Promise<unknown>,
): Promise<Level> {
  const pass = async () => {
    let next = 0;
    const client = async () => {
      while (next < queries.length) await search(queries[next++]!);
    };
    await Promise.all(Array.from({ length: clients }, client));
  };
  await pass();
  const started = performance.now();
  for (let round = 0; round < PASSES; round += 1) await pass();
  const elapsed = (performance.now() - started) / 1000;
  const total = queries.length * PASSES;
  return {
    queriesPerSecond: round(total / elapsed, 0),
    meanMs: round((elapsed * 1000 * clients) / total),
  };
}

export async function runVectorBench() {
  const started = performance.now();
  const loadAtStart = round(loadavg()[0] ?? 0);
  // One draw of 100,200 vectors: the last 200 are the held-out queries, never inserted.
  const drawn = clusteredVectors({
    count: VECTORS + QUERIES,
    dimensions: DIMENSIONS,
    clusters: CLUSTERS,
    noise: NOISE,
    seed: 42,
  });
  const base: ClusteredVectors = { ...drawn, count: VECTORS };
  const queries = Array.from({ length: QUERIES }, (_, n) => drawn.row(VECTORS + n));
  const generateSeconds = seconds(started);

  const exactStarted = performance.now();
  const truth = queries.map((query) => exactNearest(base, query, K));
  const exactSeconds = seconds(exactStarted);

  const database = await createTestDatabase('keel_bench');
  const store = await PostgresStore.open({ url: database.url, poolMax: CLIENTS + 2 });
  try {
    const chunksStarted = performance.now();
    const chunkIds = await createChunks(store, VECTORS);
    const chunkSeconds = seconds(chunksStarted);
    const positionOf = new Map(chunkIds.map((id, position) => [id, position]));

    const loader = new PostgresVectorIndex({ db: store.db });
    await loader.prepare({ model: 'synthetic-384', dimensions: DIMENSIONS });
    // Load without the graph, then build it once: how pgvector recommends filling an index.
    await sql`drop index chunk_vectors_hnsw`.execute(store.db);
    const loadStarted = performance.now();
    for (let first = 0; first < VECTORS; first += 2_000) {
      const batch = chunkIds.slice(first, first + 2_000);
      await loader.upsert(
        batch.map((chunkId, n) => ({ chunkId, vector: Array.from(base.row(first + n)) })),
      );
    }
    const loadSeconds = seconds(loadStarted);
    const buildStarted = performance.now();
    await store.db.connection().execute(async (connection) => {
      await sql`set maintenance_work_mem = '1GB'`.execute(connection);
      await sql`set statement_timeout = 0`.execute(connection);
      await sql`
        create index chunk_vectors_hnsw on chunk_vectors using hnsw (embedding vector_cosine_ops)
        with (m = ${sql.lit(HNSW_M)}, ef_construction = ${sql.lit(HNSW_EF_CONSTRUCTION)})`.execute(
        connection,
      );
    });
    const buildSeconds = seconds(buildStarted);
    await sql`analyze chunk_vectors`.execute(store.db);

    const levels = [];
    for (const efSearch of EF_SEARCH) {
      const index = new PostgresVectorIndex({ db: store.db, efSearch });
      const search = (query: Float32Array) => index.search(Array.from(query), { k: K });
      let found = 0;
      for (const [n, query] of queries.entries()) {
        const expected = new Set(truth[n]);
        const hits = await search(query);
        found += hits.filter((hit) => expected.has(positionOf.get(hit.chunkId) ?? -1)).length;
      }
      levels.push({
        efSearch,
        recallAt10: round(found / (QUERIES * K), 3),
        single: await timed(1, queries, search),
        concurrent: await timed(CLIENTS, queries, search),
      });
    }
    const plan = await sql<{ 'QUERY PLAN': string }>`
      explain select chunk_id from chunk_vectors
      order by embedding <=> ${`[${Array.from(queries[0]!).join(',')}]`}::vector limit 10`.execute(
      store.db,
    );
    return {
      vectors: VECTORS,
      queries: QUERIES,
      dimensions: DIMENSIONS,
      clusters: CLUSTERS,
      noise: NOISE,
      k: K,
      hnsw: { m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION },
      usesHnswIndex: plan.rows.some((row) => row['QUERY PLAN'].includes('chunk_vectors_hnsw')),
      seconds: {
        generate: generateSeconds,
        exactInJs: exactSeconds,
        chunks: chunkSeconds,
        load: loadSeconds,
        hnswBuild: buildSeconds,
      },
      levels,
      // Other work on a shared machine moves queries/second far more than recall; say how busy it was.
      loadAverage: { atStart: loadAtStart, atEnd: round(loadavg()[0] ?? 0) },
      note: WHY_SYNTHETIC,
    };
  } finally {
    await store.close();
    await database.drop();
  }
}

if (isEntryPoint(import.meta.url)) {
  const result = await runVectorBench();
  console.log(
    `\npgvector HNSW, ${result.vectors} × ${result.dimensions} vectors, ${result.queries} queries, k = ${result.k}`,
  );
  console.log(result.note);
  console.log(
    `1-minute load average ${result.loadAverage.atStart} at start, ${result.loadAverage.atEnd} at end`,
  );
  console.log(
    `chunk rows ${result.seconds.chunks} s, load without index ${result.seconds.load} s, ` +
      `HNSW build (m=${HNSW_M}, ef_construction=${HNSW_EF_CONSTRUCTION}) ${result.seconds.hnswBuild} s; ` +
      `exact top-10 in JS ${result.seconds.exactInJs} s; plan uses HNSW: ${result.usesHnswIndex}`,
  );
  console.table(
    Object.fromEntries(
      result.levels.map((level) => [
        `ef_search ${level.efSearch}`,
        {
          'recall@10': level.recallAt10,
          'q/s x1': level.single.queriesPerSecond,
          'ms x1': level.single.meanMs,
          [`q/s x${CLIENTS}`]: level.concurrent.queriesPerSecond,
          [`ms x${CLIENTS}`]: level.concurrent.meanMs,
        },
      ]),
    ),
  );
  const path = await writeResult('vectors-pgvector', {
    command: 'node bin/run-ts.js bench/vectors-pgvector.ts',
    ...result,
  });
  console.log(`wrote ${path}`);
}
