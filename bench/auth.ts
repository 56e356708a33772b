import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { buildApp } from '../src/api/app.js';
import { createPasswordHasher } from '../src/auth/passwords.js';
import { SEED_ARGON2 } from '../src/config/argon2-params.js';
import { loadConfig } from '../src/config/config.js';
import type { Keel } from '../src/keel.js';
import { DEFAULT_WORKSPACE } from '../src/store/store.js';
import {
  type ScifactKeel,
  benchEnv,
  isEntryPoint,
  openScifactKeel,
  removeWorkDir,
  writeResult,
} from './harness.js';
import { scifactDir } from './scifact.js';
import { type SearchRun, searchLoad } from './search-load.js';
import { type Summary, summarize } from './stats.js';

/*
 * What sign-in costs: `GET /v1/kb/search` through a listening server with KEEL_AUTH=off, with
 * KEEL_AUTH=on and a bearer access token, and with an API key; the in-process cost of each
 * check; and the latency of a login at the seed Argon2id parameters.
 *   node bin/run-ts.js bench/auth.ts
 */

const MODES = ['off', 'token', 'apiKey'] as const;
type Mode = (typeof MODES)[number];
const CONCURRENCY = [1, 16];
/** Each mode runs once per round, the order rotated, so drift and warm-up favour none. */
const ROUNDS = 5;
const REQUESTS_PER_ROUND = 600;
/** High enough that the search limiter never refuses, so it still runs but refuses nothing. */
const SEARCH_LIMIT_PER_MINUTE = 1_000_000;
const LOGINS = 30;
const LOGIN_WARM_UP = 2;
const COMPONENT_CALLS = 2000;
const COMPONENT_WARM_UP = 200;
const EMAIL = 'bench@example.com';
const PASSWORD = 'a bench passphrase, long enough';

/** Sign-in on; the seed Argon2id parameters spelled out so a changed default cannot move them. */
const AUTH_ENV: Record<string, string> = {
  KEEL_AUTH: 'on',
  KEEL_RATE_LIMIT_SEARCH: String(SEARCH_LIMIT_PER_MINUTE),
  // 30-odd logins from one address inside a minute would otherwise meet the per-IP limit.
  KEEL_RATE_LIMIT_AUTH: String(SEARCH_LIMIT_PER_MINUTE),
  KEEL_ARGON2_MEMORY_KIB: String(SEED_ARGON2.memoryKiB),
  KEEL_ARGON2_ITERATIONS: String(SEED_ARGON2.iterations),
  KEEL_ARGON2_PARALLELISM: String(SEED_ARGON2.parallelism),
};

export interface ModeFigures {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Requests per second of each round, to show the spread behind the pooled figure. */
  roundRequestsPerSecond: number[];
  latencyMs: Summary;
  rateLimitLimit: string | null;
  hitsPerRequest: number;
}

export interface Overhead {
  /** Requests per second with auth ÷ without, pooled over the rounds: below 1 is slower. */
  throughput: number;
  /**
   * The median over rounds of the same ratio taken within each round, where the two modes ran
   * back to back: steadier than the pooled one when other work on the machine comes and goes.
   */
  throughputPaired: number;
  /** p50 latency with auth ÷ without: above 1 is slower. */
  p50: number;
  p99: number;
  /** p50 with auth minus p50 without, in milliseconds. */
  p50AddedMs: number;
}

export interface AuthLevel {
  concurrency: number;
  modes: Record<Mode, ModeFigures>;
  overhead: { token: Overhead; apiKey: Overhead };
}

export interface AuthResult {
  corpus: { documents: number; chunks: number };
  searchK: number;
  rounds: number;
  requestsPerRound: number;
  searchRateLimitPerMinute: number;
  search: AuthLevel[];
  /** In-process cost of one call, microseconds. */
  componentsUs: { accessToken: Summary; apiKey: Summary; rateLimiter: Summary };
  login: {
    argon2: { memoryKiB: number; iterations: number; parallelism: number };
    logins: number;
    httpMs: Summary;
    status: Record<string, number>;
    /** Argon2id verify alone, in process: the share of a login that is the hash. */
    verifyOnlyMs: Summary;
  };
  workDir: string;
}

const TokenPair = z.object({ accessToken: z.string(), refreshToken: z.string() });

async function login(url: string): Promise<{ status: number; ms: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const body: unknown = await response.json();
  return { status: response.status, ms: performance.now() - started, body };
}

async function timeCalls(calls: number, call: () => Promise<unknown>): Promise<number[]> {
  const timings: number[] = [];
  for (let index = 0; index < calls; index++) {
    const started = performance.now();
    await call();
    timings.push(performance.now() - started);
  }
  return timings;
}

/** Microsecond summary of `call`, after a warm-up. */
async function microseconds(call: () => Promise<unknown>): Promise<Summary> {
  await timeCalls(COMPONENT_WARM_UP, call);
  return summarize((await timeCalls(COMPONENT_CALLS, call)).map((ms) => ms * 1000));
}

function rotated<T>(items: readonly T[], by: number): T[] {
  return items.map((_, index) => items[(index + by) % items.length] as T);
}

function pool(runs: SearchRun[]): ModeFigures {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const rate = (count: number, time: number) => Math.round((count / time) * 10) / 10;
  return {
    requests,
    seconds: Math.round(seconds * 1000) / 1000,
    requestsPerSecond: rate(requests, seconds),
    roundRequestsPerSecond: runs.map((run) => rate(run.requests, run.seconds)),
    latencyMs: summarize(runs.flatMap((run) => run.timingsMs)),
    rateLimitLimit: runs.at(-1)?.rateLimitLimit ?? null,
    hitsPerRequest: Math.round((runs.reduce((sum, run) => sum + run.hits, 0) / requests) * 10) / 10,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function overhead(withAuth: ModeFigures, without: ModeFigures): Overhead {
  const ratio = (value: number) => Math.round(value * 1000) / 1000;
  const paired = withAuth.roundRequestsPerSecond.map(
    (rate, round) => rate / (without.roundRequestsPerSecond[round] ?? rate),
  );
  return {
    throughput: ratio(withAuth.requestsPerSecond / without.requestsPerSecond),
    throughputPaired: ratio(median(paired)),
    p50: ratio(withAuth.latencyMs.p50 / without.latencyMs.p50),
    p99: ratio(withAuth.latencyMs.p99 / without.latencyMs.p99),
    p50AddedMs: Math.round((withAuth.latencyMs.p50 - without.latencyMs.p50) * 100) / 100,
  };
}

/** Any answer but 200 makes the comparison meaningless (a 401 or 429 is fast): stop loudly. */
function assertAllOk(run: SearchRun, mode: Mode): void {
  const others = Object.entries(run.status).filter(([status]) => status !== '200');
  if (others.length > 0 || run.hits === 0) {
    throw new Error(
      `search with auth ${mode} answered ${JSON.stringify(run.status)} with ${run.hits} hits`,
    );
  }
}

/** One request per mode must return the same hits: the modes differ in the access check only. */
async function assertSameAnswers(urls: Record<Mode, string>, bearers: Record<Mode, string>) {
  const bodies = await Promise.all(
    MODES.map(async (mode) => {
      const headers: Record<string, string> = bearers[mode]
        ? { authorization: `Bearer ${bearers[mode]}` }
        : {};
      const response = await fetch(`${urls[mode]}/v1/kb/search?k=10&q=vitamin%20D`, { headers });
      return `${response.status} ${await response.text()}`;
    }),
  );
  if (new Set(bodies).size !== 1) throw new Error('the three modes answered differently');
}

async function measureSearch(
  urls: Record<Mode, string>,
  bearers: Record<Mode, string>,
  dataDir: string,
): Promise<AuthLevel[]> {
  await assertSameAnswers(urls, bearers);
  const levels: AuthLevel[] = [];
  for (const concurrency of CONCURRENCY) {
    const runs: Record<Mode, SearchRun[]> = { off: [], token: [], apiKey: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of rotated(MODES, round)) {
        const run = await searchLoad({
          url: urls[mode],
          dataDir,
          bearer: bearers[mode],
          concurrency,
          requests: REQUESTS_PER_ROUND,
        });
        assertAllOk(run, mode);
        runs[mode].push(run);
      }
    }
    const modes = { off: pool(runs.off), token: pool(runs.token), apiKey: pool(runs.apiKey) };
    const { off, token, apiKey } = modes;
    levels.push({
      concurrency,
      modes,
      overhead: { token: overhead(token, off), apiKey: overhead(apiKey, off) },
    });
  }
  return levels;
}

async function measureLogins(url: string) {
  for (let index = 0; index < LOGIN_WARM_UP; index++) await login(url);
  const status: Record<string, number> = {};
  const timings: number[] = [];
  for (let index = 0; index < LOGINS; index++) {
    const attempt = await login(url);
    status[attempt.status] = (status[attempt.status] ?? 0) + 1;
    timings.push(attempt.ms);
  }
  if (status['200'] !== LOGINS) throw new Error(`logins answered ${JSON.stringify(status)}`);
  const hasher = createPasswordHasher(SEED_ARGON2);
  const stored = await hasher.hash(PASSWORD);
  await hasher.verify(stored, PASSWORD);
  const verifyOnly = await timeCalls(LOGINS, () => hasher.verify(stored, PASSWORD));
  return {
    argon2: { ...SEED_ARGON2 },
    logins: LOGINS,
    httpMs: summarize(timings),
    status,
    verifyOnlyMs: summarize(verifyOnly),
  };
}

/** Every figure on a fresh SciFact Keel; its temporary folder is removed if a step fails. */
export async function runAuth(options: { dataDir: string }): Promise<AuthResult> {
  const opened = await openScifactKeel({ ...options, env: AUTH_ENV });
  try {
    return await measureAll(opened, options.dataDir);
  } catch (error) {
    await removeWorkDir(opened.workDir);
    throw error;
  }
}

/**
 * Both servers share one Keel (one database, one search index, one limiter); only the parsed
 * configuration differs, and the access check is the only code that reads `KEEL_AUTH`.
 */
async function measureAll(
  { keel, workDir, sync }: ScifactKeel,
  dataDir: string,
): Promise<AuthResult> {
  const offEnv = benchEnv(workDir, { env: { ...AUTH_ENV, KEEL_AUTH: 'off' } });
  const keelOff: Keel = { ...keel, config: loadConfig({ env: offEnv, file: '/nonexistent' }) };
  const appOn = await buildApp(keel);
  const appOff = await buildApp(keelOff);
  try {
    const onUrl = await appOn.listen({ host: '127.0.0.1', port: 0 });
    const offUrl = await appOff.listen({ host: '127.0.0.1', port: 0 });
    await keel.accounts.createUser({
      email: EMAIL,
      password: PASSWORD,
      role: 'user',
      workspaceId: DEFAULT_WORKSPACE,
    });
    const signIn = await login(onUrl);
    const { accessToken } = TokenPair.parse(signIn.body);
    const principal = await keel.accounts.principalFromAccessToken(accessToken);
    const { key } = await keel.apiKeys.create(principal, { name: 'bench', scopes: ['kb:read'] });

    const urls = { off: offUrl, token: onUrl, apiKey: onUrl };
    const bearers = { off: '', token: accessToken, apiKey: key };
    const search = await measureSearch(urls, bearers, dataDir);
    const limitRule = { limit: SEARCH_LIMIT_PER_MINUTE, windowMs: 60_000 };
    const componentsUs = {
      accessToken: await microseconds(() => keel.accounts.principalFromAccessToken(accessToken)),
      apiKey: await microseconds(() => keel.apiKeys.authenticate(key)),
      rateLimiter: await microseconds(() => keel.limiter.consume('bench:components', limitRule)),
    };
    const logins = await measureLogins(onUrl);
    return {
      corpus: { documents: sync.documents, chunks: sync.chunks },
      searchK: 10,
      rounds: ROUNDS,
      requestsPerRound: REQUESTS_PER_ROUND,
      searchRateLimitPerMinute: SEARCH_LIMIT_PER_MINUTE,
      search,
      componentsUs,
      login: logins,
      workDir,
    };
  } finally {
    await appOn.close();
    await appOff.close();
    await keel.close();
  }
}

const MODE_LABEL: Record<Mode, string> = {
  off: 'KEEL_AUTH=off',
  token: 'on, access token',
  apiKey: 'on, API key',
};

export function printAuth(result: AuthResult): void {
  const perMode = `${result.rounds} rounds x ${result.requestsPerRound} requests per mode`;
  for (const level of result.search) {
    const clients = `${level.concurrency} client${level.concurrency > 1 ? 's' : ''}`;
    console.log(`\nGET /v1/kb/search over SciFact, ${clients}, ${perMode} (ms)`);
    const rows = Object.fromEntries(
      MODES.map((mode) => {
        const figures = level.modes[mode];
        const { p50, p99, mean } = figures.latencyMs;
        const rounds = figures.roundRequestsPerSecond.join(' / ');
        return [MODE_LABEL[mode], { 'req/s': figures.requestsPerSecond, p50, p99, mean, rounds }];
      }),
    );
    console.table(rows);
    for (const mode of ['token', 'apiKey'] as const) {
      const ratio = level.overhead[mode];
      console.log(
        `  ${MODE_LABEL[mode]} / off: throughput x${ratio.throughput} ` +
          `(paired by round x${ratio.throughputPaired}), p50 x${ratio.p50} ` +
          `(${ratio.p50AddedMs >= 0 ? '+' : ''}${ratio.p50AddedMs} ms), p99 x${ratio.p99}`,
      );
    }
  }
  const { accessToken, apiKey, rateLimiter } = result.componentsUs;
  console.log('\nOne check in process (µs)');
  console.table({
    'access token → principal': { p50: accessToken.p50, p99: accessToken.p99 },
    'API key → principal': { p50: apiKey.p50, p99: apiKey.p99 },
    'rate limiter consume': { p50: rateLimiter.p50, p99: rateLimiter.p99 },
  });
  const { argon2, httpMs, verifyOnlyMs } = result.login;
  const params = `m=${argon2.memoryKiB} KiB, t=${argon2.iterations}, p=${argon2.parallelism}`;
  console.log(
    `\nPOST /v1/auth/login, Argon2id ${params}, ${result.login.logins} logins: ` +
      `p50 ${httpMs.p50} ms, p99 ${httpMs.p99} ms (verify alone p50 ${verifyOnlyMs.p50} ms)`,
  );
}

if (isEntryPoint(import.meta.url)) {
  const { workDir, ...result } = await runAuth({ dataDir: scifactDir() });
  await removeWorkDir(workDir);
  printAuth({ ...result, workDir });
  const command = 'node bin/run-ts.js bench/auth.ts';
  const path = await writeResult('auth', { command, ...result });
  console.log(`wrote ${path}`);
}
