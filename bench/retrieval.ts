import { basename } from 'node:path';
import type { SearchHit } from '../src/search/search-service.js';
import { isEntryPoint, openScifactKeel, removeWorkDir, writeResult } from './harness.js';
import { judgedQueries, loadQrels, loadQueries, ndcgAt, recallAt, scifactDir } from './scifact.js';

/** BEIR (Thakur et al., 2021), Anserini BM25 multifield, SciFact test split. */
export const PUBLISHED_BM25_NDCG10 = 0.679;
const DEPTH = 100;

export interface RetrievalResult {
  queries: number;
  ndcg10: number;
  recall100: number;
  /** Distinct documents in the 100 chunks searched; below 100 when documents repeat. */
  meanDocuments: number;
  queriesWithoutHits: number;
  baselineNdcg10: number;
  mode: string;
  workDir: string;
}

/** Document ids in rank order; a document reached through several chunks keeps its best rank. */
export function rankedDocuments(hits: SearchHit[]): string[] {
  const ids = hits.map((hit) => basename(hit.chunk.path).replace(/\.md$/, ''));
  return [...new Set(ids)];
}

/** Lexical-only nDCG@10 and recall@100 over the judged SciFact queries. */
export async function runRetrieval(options: {
  dataDir: string;
  workDir?: string;
}): Promise<RetrievalResult> {
  const [queries, qrels] = await Promise.all([
    loadQueries(options.dataDir),
    loadQrels(options.dataDir),
  ]);
  const scored = judgedQueries(queries, qrels);
  const { keel, source, workDir } = await openScifactKeel(options);
  try {
    let ndcgSum = 0;
    let recallSum = 0;
    let withoutHits = 0;
    let documents = 0;
    for (const query of scored) {
      const hits = await keel.search.search(query.text, { k: DEPTH, sourceIds: [source.id] });
      const ranked = rankedDocuments(hits);
      const judged = qrels.get(query.id) ?? new Map<string, number>();
      if (ranked.length === 0) withoutHits += 1;
      documents += ranked.length;
      ndcgSum += ndcgAt(10, ranked, judged);
      recallSum += recallAt(DEPTH, ranked, judged);
    }
    const round = (value: number) => Math.round(value * 10_000) / 10_000;
    return {
      queries: scored.length,
      ndcg10: round(ndcgSum / scored.length),
      recall100: round(recallSum / scored.length),
      meanDocuments: Math.round((documents / scored.length) * 10) / 10,
      queriesWithoutHits: withoutHits,
      baselineNdcg10: PUBLISHED_BM25_NDCG10,
      mode: keel.search.mode,
      workDir,
    };
  } finally {
    await keel.close();
  }
}

export function printRetrieval(result: RetrievalResult): void {
  console.log(
    `\nRetrieval, SciFact train (${result.queries} judged queries), ${result.mode} search`,
  );
  console.table({
    Keel: { 'nDCG@10': result.ndcg10, 'recall@100': result.recall100 },
    'BM25 (BEIR, test split)': { 'nDCG@10': result.baselineNdcg10, 'recall@100': '' },
  });
  console.log(`${result.meanDocuments} distinct documents per query on average in the 100 chunks`);
  if (result.queriesWithoutHits > 0) {
    console.log(`${result.queriesWithoutHits} queries returned no hits`);
  }
}

if (isEntryPoint(import.meta.url)) {
  const result = await runRetrieval({ dataDir: scifactDir() });
  printRetrieval(result);
  const { workDir, ...figures } = result;
  await removeWorkDir(workDir);
  const path = await writeResult('retrieval', {
    command: 'node bin/run-ts.js bench/retrieval.ts',
    ...figures,
  });
  console.log(`wrote ${path}`);
}
