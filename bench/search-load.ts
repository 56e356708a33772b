import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { z } from 'zod';
import { isEntryPoint } from './harness.js';
import { loadQueries, repoRoot, scifactDir } from './scifact.js';

/*
 * Closed-loop load generator for `GET /v1/kb/search`, in its own process (like chat-load.ts) so
 * the clients' HTTP work does not share the server's event loop:
 *   KEEL_BENCH_BEARER=… node bin/run-ts.js bench/search-load.ts --url URL --concurrency 1 --requests 1000
 * The credential travels in the environment, not in argv where `ps` would show it. Prints one
 * JSON object (a SearchRun) on stdout, raw timings included so runs can be pooled.
 */

const WARM_UP = 50;
const SEARCH_K = 10;

export const searchRunSchema = z.object({
  concurrency: z.number(),
  requests: z.number(),
  seconds: z.number(),
  timingsMs: z.array(z.number()),
  status: z.record(z.string(), z.number()),
  /** `RateLimit-Limit` of the last response: proves the limiter ran (and with which limit). */
  rateLimitLimit: z.string().nullable(),
  /** Hits summed over the timed requests, so an empty search cannot pass for a fast one. */
  hits: z.number(),
});
export type SearchRun = z.infer<typeof searchRunSchema>;

const SearchReply = z.object({ hits: z.array(z.unknown()) });

async function search(url: string, query: string, bearer: string | undefined) {
  const started = performance.now();
  const response = await fetch(
    `${url}/v1/kb/search?k=${SEARCH_K}&q=${encodeURIComponent(query)}`,
    bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {},
  );
  const body = SearchReply.safeParse(await response.json());
  return {
    status: response.status,
    ms: performance.now() - started,
    hits: body.success ? body.data.hits.length : 0,
    rateLimitLimit: response.headers.get('ratelimit-limit'),
  };
}

type Reply = Awaited<ReturnType<typeof search>>;

async function drive(
  url: string,
  queries: string[],
  bearer: string | undefined,
  concurrency: number,
  requests: number,
  onReply: (reply: Reply) => void,
): Promise<void> {
  let next = 0;
  const client = async () => {
    for (let index = next++; index < requests; index = next++) {
      onReply(await search(url, queries[index % queries.length] ?? 'policy', bearer));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
}

/** `requests` searches from `concurrency` closed-loop clients after an untimed warm-up. */
export async function closedLoop(
  url: string,
  queries: string[],
  bearer: string | undefined,
  concurrency: number,
  requests: number,
): Promise<SearchRun> {
  await drive(url, queries, bearer, concurrency, Math.max(WARM_UP, 2 * concurrency), () => {});
  const status: Record<string, number> = {};
  const timingsMs: number[] = [];
  let hits = 0;
  let rateLimitLimit: string | null = null;
  const started = performance.now();
  await drive(url, queries, bearer, concurrency, requests, (reply) => {
    timingsMs.push(Math.round(reply.ms * 1000) / 1000);
    status[reply.status] = (status[reply.status] ?? 0) + 1;
    hits += reply.hits;
    rateLimitLimit = reply.rateLimitLimit;
  });
  const seconds = (performance.now() - started) / 1000;
  return { concurrency, requests, seconds, timingsMs, status, rateLimitLimit, hits };
}

/** Runs the load generator in a child process against `url`, sending `bearer` if given. */
export async function searchLoad(options: {
  url: string;
  dataDir: string;
  bearer?: string;
  concurrency: number;
  requests: number;
}): Promise<SearchRun> {
  const args = [join(repoRoot, 'bin', 'run-ts.js'), join(repoRoot, 'bench', 'search-load.ts')];
  args.push('--url', options.url, '--data', options.dataDir);
  args.push('--concurrency', String(options.concurrency), '--requests', String(options.requests));
  const env = { ...process.env, KEEL_BENCH_BEARER: options.bearer ?? '' };
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    cwd: repoRoot,
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return searchRunSchema.parse(JSON.parse(stdout));
}

function flag(name: string): string {
  const value = process.argv[process.argv.indexOf(name) + 1];
  if (!process.argv.includes(name) || value === undefined) throw new Error(`missing ${name}`);
  return value;
}

if (isEntryPoint(import.meta.url)) {
  const queries = (await loadQueries(scifactDir())).map((query) => query.text);
  const run = await closedLoop(
    flag('--url'),
    queries,
    process.env.KEEL_BENCH_BEARER || undefined,
    Number(flag('--concurrency')),
    Number(flag('--requests')),
  );
  process.stdout.write(`${JSON.stringify(run)}\n`);
}
