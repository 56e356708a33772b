import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { buildApp } from '../src/api/app.js';
import { type Keel, syncBundledKnowledge } from '../src/keel.js';
import {
  type Summary,
  isEntryPoint,
  openScifactKeel,
  removeWorkDir,
  summarize,
  writeResult,
} from './harness.js';
import { type Query, loadQueries, scifactDir } from './scifact.js';

const SEARCH_K = 10;
const SEARCH_WARM_UP = 50;
const CHAT_REQUESTS = 300;
const CONCURRENCY = [1, 16];

export interface LatencyResult {
  searchQueries: number;
  searchK: number;
  searchMs: Summary;
  chat: ChatLevel[];
  workDir: string;
}

/** Each query searched once, in process, after a warm-up over the first few. */
async function measureSearch(keel: Keel, queries: Query[]): Promise<Summary> {
  for (const query of queries.slice(0, SEARCH_WARM_UP))
    await keel.search.search(query.text, { k: SEARCH_K });
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
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const messages = queries.map((query) => query.text);
      for (const message of messages.slice(0, CHAT_WARM_UP)) await postChat(address, message);
      const chat: ChatLevel[] = [];
      for (const concurrency of CONCURRENCY)
        chat.push(await measureChat(address, messages, concurrency));
      return { searchQueries: queries.length, searchK: SEARCH_K, searchMs, chat, workDir };
    } finally {
      await app.close();
    }
  } finally {
    await keel.close();
  }
}

export function printLatency(result: LatencyResult): void {
  const { searchMs } = result;
  console.log(
    `\nSearch latency, ${result.searchQueries} SciFact queries, k=${result.searchK}, in process (ms)`,
  );
  console.table({
    search: { p50: searchMs.p50, p99: searchMs.p99, mean: searchMs.mean, max: searchMs.max },
  });
  console.log(
    `\n/v1/chat, extractive provider, default policy, ${CHAT_REQUESTS} requests per level (ms)`,
  );
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
    if (Object.keys(level.refusals).length > 0)
      console.log(`refusals at ${level.concurrency}:`, level.refusals);
  }
}

if (isEntryPoint(import.meta.url)) {
  const { workDir, ...result } = await runLatency({ dataDir: scifactDir() });
  await removeWorkDir(workDir);
  printLatency({ ...result, workDir });
  const path = await writeResult('latency', {
    command: 'node bin/run-ts.js bench/latency.ts',
    ...result,
  });
  console.log(`wrote ${path}`);
}
