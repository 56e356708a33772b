import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/api/app.js';
import { type Keel, syncBundledKnowledge } from '../src/keel.js';
import { type ChatLevel, chatLoad } from './chat-load.js';
import { isEntryPoint, openScifactKeel, removeWorkDir, writeResult } from './harness.js';
import { type Query, loadQueries, scifactDir } from './scifact.js';
import { type Summary, summarize } from './stats.js';

const SEARCH_K = 10;
const SEARCH_WARM_UP = 50;
const CHAT_REQUESTS = 300;
const CONCURRENCY = [1, 16];

export interface LatencyResult {
  searchQueries: number;
  searchK: number;
  searchMs: Summary;
  chatRequestsPerLevel: number;
  chat: ChatLevel[];
  workDir: string;
}

/** Each query searched once, in process, after a warm-up over the first few. */
async function measureSearch(keel: Keel, queries: Query[]): Promise<Summary> {
  for (const query of queries.slice(0, SEARCH_WARM_UP)) {
    await keel.search.search(query.text, { k: SEARCH_K });
  }
  const timings: number[] = [];
  for (const query of queries) {
    const started = performance.now();
    await keel.search.search(query.text, { k: SEARCH_K });
    timings.push(performance.now() - started);
  }
  return summarize(timings);
}

/**
 * Search latency over SciFact, then `/v1/chat` through a listening server at each concurrency,
 * the clients running in a separate process (see chat-load.ts).
 */
export async function runLatency(options: {
  dataDir: string;
  workDir?: string;
}): Promise<LatencyResult> {
  const queries = await loadQueries(options.dataDir);
  const { keel, workDir } = await openScifactKeel({ ...options, bundledKnowledge: true });
  try {
    const searchMs = await measureSearch(keel, queries);
    // The bundled docs join only now, so the search figures are over SciFact alone.
    await syncBundledKnowledge(keel);
    const app = await buildApp(keel);
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const chat: ChatLevel[] = [];
      for (const concurrency of CONCURRENCY) {
        const load = { url, dataDir: options.dataDir, concurrency, requests: CHAT_REQUESTS };
        chat.push(await chatLoad(load));
      }
      const searchQueries = queries.length;
      const chatRequestsPerLevel = CHAT_REQUESTS;
      return { searchQueries, searchK: SEARCH_K, searchMs, chatRequestsPerLevel, chat, workDir };
    } finally {
      await app.close();
    }
  } finally {
    await keel.close();
  }
}

export function printLatency(result: LatencyResult): void {
  const { searchMs } = result;
  const queries = `${result.searchQueries} SciFact queries, k=${result.searchK}`;
  console.log(`\nSearch latency, ${queries}, in process (ms)`);
  console.table({
    search: { p50: searchMs.p50, p99: searchMs.p99, mean: searchMs.mean, max: searchMs.max },
  });
  const requests = `${result.chatRequestsPerLevel} requests per level`;
  console.log(`\n/v1/chat, extractive provider, default policy, ${requests} (ms)`);
  const rows = Object.fromEntries(
    result.chat.map((level) => [
      `${level.concurrency} client${level.concurrency > 1 ? 's' : ''}`,
      {
        p50: level.latencyMs.p50,
        p99: level.latencyMs.p99,
        mean: level.latencyMs.mean,
        'p50 (200s)': level.answeredLatencyMs.p50,
        'p99 (200s)': level.answeredLatencyMs.p99,
        'req/s': level.requestsPerSecond,
        '200': level.status['200'] ?? 0,
        '422 refused': level.status['422'] ?? 0,
        other: level.requests - (level.status['200'] ?? 0) - (level.status['422'] ?? 0),
      },
    ]),
  );
  console.table(rows);
  for (const level of result.chat) {
    const refusals = JSON.stringify(level.refusals);
    const decisions = JSON.stringify(level.decisions);
    console.log(`x${level.concurrency}: 422 reasons ${refusals}; decisions of 200s ${decisions}`);
  }
}

if (isEntryPoint(import.meta.url)) {
  const { workDir, ...result } = await runLatency({ dataDir: scifactDir() });
  await removeWorkDir(workDir);
  printLatency({ ...result, workDir });
  const command = 'node bin/run-ts.js bench/latency.ts';
  const path = await writeResult('latency', { command, ...result });
  console.log(`wrote ${path}`);
}
