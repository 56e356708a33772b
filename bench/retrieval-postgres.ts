import { join } from 'node:path';
import { addSource } from '../src/kb/sources.js';
import { KnowledgeSync } from '../src/kb/sync.js';
import { SearchService } from '../src/search/search-service.js';
import { PostgresStore } from '../src/store/postgres.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createTestDatabase } from '../test/helpers/postgres-database.js';
import {
  SCIFACT_SOURCE,
  isEntryPoint,
  newWorkDir,
  removeWorkDir,
  writeCorpus,
  writeResult,
} from './harness.js';
import { PUBLISHED_BM25_NDCG10, rankedDocuments, runRetrieval } from './retrieval.js';
import { judgedQueries, loadQrels, loadQueries, ndcgAt, recallAt, scifactDir } from './scifact.js';

const DEPTH = 100;
const round = (value: number, places = 4) => Math.round(value * 10 ** places) / 10 ** places;

export interface PostgresRetrievalResult {
  queries: number;
  ndcg10: number;
  recall100: number;
  meanDocuments: number;
  queriesWithoutHits: number;
  /** Mean wall time of one lexical search (k = 100) plus fetching its chunks. */
  meanSearchMs: number;
  syncSeconds: number;
}

/**
 * `bench/retrieval.ts` on PostgreSQL: the same corpus files, queries, search call and scoring,
 * with the store opened on a fresh database (dropped afterwards) instead of a SQLite file.
 */
export async function runPostgresRetrieval(options: {
  dataDir: string;
}): Promise<PostgresRetrievalResult> {
  const [queries, qrels] = await Promise.all([
    loadQueries(options.dataDir),
    loadQrels(options.dataDir),
  ]);
  const scored = judgedQueries(queries, qrels);
  const workDir = await newWorkDir('scifact-postgres');
  const database = await createTestDatabase('keel_bench');
  const store = await PostgresStore.open({ url: database.url, poolMax: 4 });
  try {
    const { corpusDir } = await writeCorpus(workDir, options.dataDir);
    const source = await addSource(store, {
      name: SCIFACT_SOURCE,
      kind: 'folder',
      location: corpusDir,
    });
    const logger = createLogger('silent');
    const syncStarted = performance.now();
    const report = await new KnowledgeSync(store, { dataDir: join(workDir, 'data'), logger }).sync(
      source,
    );
    const syncSeconds = (performance.now() - syncStarted) / 1000;
    if (report.status !== 'ok') throw new Error(`sync ended "${report.status}"`);
    const search = new SearchService(store);
    let ndcgSum = 0;
    let recallSum = 0;
    let withoutHits = 0;
    let documents = 0;
    let searchMs = 0;
    for (const query of scored) {
      const started = performance.now();
      const hits = await search.search(query.text, { k: DEPTH, sourceIds: [source.id] });
      searchMs += performance.now() - started;
      const ranked = rankedDocuments(hits);
      const judged = qrels.get(query.id) ?? new Map<string, number>();
      if (ranked.length === 0) withoutHits += 1;
      documents += ranked.length;
      ndcgSum += ndcgAt(10, ranked, judged);
      recallSum += recallAt(DEPTH, ranked, judged);
    }
    return {
      queries: scored.length,
      ndcg10: round(ndcgSum / scored.length),
      recall100: round(recallSum / scored.length),
      meanDocuments: round(documents / scored.length, 1),
      queriesWithoutHits: withoutHits,
      meanSearchMs: round(searchMs / scored.length, 2),
      syncSeconds: round(syncSeconds, 1),
    };
  } finally {
    await store.close();
    await database.drop();
    await removeWorkDir(workDir);
  }
}

if (isEntryPoint(import.meta.url)) {
  const dataDir = scifactDir();
  const postgres = await runPostgresRetrieval({ dataDir });
  const { workDir, ...sqlite } = await runRetrieval({ dataDir });
  await removeWorkDir(workDir);
  console.log(`\nRetrieval, SciFact train (${postgres.queries} judged queries), lexical search`);
  console.table({
    PostgreSQL: { 'nDCG@10': postgres.ndcg10, 'recall@100': postgres.recall100 },
    SQLite: { 'nDCG@10': sqlite.ndcg10, 'recall@100': sqlite.recall100 },
    'BM25 (BEIR, test split)': { 'nDCG@10': PUBLISHED_BM25_NDCG10, 'recall@100': '' },
  });
  console.log(
    `PostgreSQL: ${postgres.meanSearchMs} ms per search (k = ${DEPTH}), sync ${postgres.syncSeconds} s`,
  );
  const path = await writeResult('retrieval-postgres', {
    command: 'node bin/run-ts.js bench/retrieval-postgres.ts',
    ...postgres,
    sqlite: { ndcg10: sqlite.ndcg10, recall100: sqlite.recall100 },
    baselineNdcg10: PUBLISHED_BM25_NDCG10,
  });
  console.log(`wrote ${path}`);
}
