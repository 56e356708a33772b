import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  type KeelProcess,
  createApiKey,
  freePort,
  runKeel,
  startKeel,
  waitForHttp,
} from '../test/helpers/keel-process.js';
import { type TestDatabase, createTestDatabase } from '../test/helpers/postgres-database.js';

/*
 * The processes the gateway benchmark measures: `keel orchestrator`, `keel api` in front of it,
 * and `keel api` with the governor in process, on one fresh PostgreSQL database and (when it
 * answers) Redis, with sign-in on and an API key of a `user`.
 */

export async function redisUrl(): Promise<string | undefined> {
  // A logical database of its own, so the benchmark's keys never meet the tests' keys in db 0.
  const url = process.env.KEEL_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/11';
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return url;
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}

export async function database(): Promise<TestDatabase | undefined> {
  return createTestDatabase('keel_bench').catch(() => undefined);
}

/** For `postgres`, a fresh database and the Redis URL (both required); nothing for `sqlite`. */
export async function serverStorage(
  storage: 'sqlite' | 'postgres',
): Promise<{ db?: TestDatabase; redis?: string }> {
  if (storage === 'sqlite') return {};
  const [db, redis] = [await database(), await redisUrl()];
  if (!db || !redis)
    throw new Error('postgres storage needs PostgreSQL and Redis (npm run services)');
  return { db, redis };
}

/** Whether the processes really stored into PostgreSQL (DATABASE_URL honoured), not SQLite. */
export async function usedPostgres(db: TestDatabase | undefined): Promise<boolean> {
  if (!db) return false;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tables: string }>(
      "select count(*) as tables from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    return Number(rows[0]?.tables ?? 0) > 0;
  } finally {
    await client.end();
  }
}

export interface Deployment {
  env: Record<string, string>;
  processes: KeelProcess[];
  /** `keel`: api → orchestrator; `inprocess`: the api with the governor in process. */
  urls: { keel: string; inprocess: string };
  key: string;
}

export interface DeployOptions {
  workDir: string;
  upstreamUrl: string;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  nodeOptions: (name: string) => string[];
}

/** What every benchmarked Keel runs with, on `workDir/data`, migrated, with an API key. */
export async function prepareKeel(
  options: DeployOptions,
): Promise<{ env: Record<string, string>; key: string }> {
  const env: Record<string, string> = {
    KEEL_DATA_DIR: join(options.workDir, 'data'),
    KEEL_PROFILE: 'development',
    KEEL_AUTH: 'on',
    KEEL_SECRET: randomBytes(32).toString('hex'),
    KEEL_INTERNAL_SECRET: randomBytes(32).toString('hex'),
    KEEL_LLM: 'openai',
    KEEL_LLM_FALLBACK: 'none',
    KEEL_EMBEDDINGS: 'none',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: options.upstreamUrl,
    // The limiter and the quota ledger both run on every call; neither is allowed to refuse.
    KEEL_RATE_LIMIT_CHAT: '100000000',
    KEEL_QUOTAS: JSON.stringify({ user: { day: { calls: 100_000_000 } } }),
    KEEL_ARGON2_MEMORY_KIB: '19456',
    KEEL_ARGON2_ITERATIONS: '2',
    KEEL_ARGON2_PARALLELISM: '1',
    ...(options.databaseUrl && { DATABASE_URL: options.databaseUrl }),
    ...(options.redisUrl && { REDIS_URL: options.redisUrl }),
  };
  await mkdir(env.KEEL_DATA_DIR!, { recursive: true });
  await runKeel(['migrate'], env);
  const key = await createApiKey(env, { email: 'bench@example.com', scopes: 'chat' });
  return { env, key };
}

/** The single process (`keel serve`) on its SQLite file, in-process cache, limits and queue. */
export async function deploySingle(
  options: Omit<DeployOptions, 'databaseUrl' | 'redisUrl'>,
): Promise<{ process: KeelProcess; url: string; key: string }> {
  const port = await freePort();
  const { env, key } = await prepareKeel(options);
  const serve = startKeel(
    'serve',
    ['serve'],
    { ...env, PORT: String(port) },
    { nodeOptions: options.nodeOptions('serve') },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health/ready`, { process: serve, timeoutMs: 120_000 });
  } catch (error) {
    await serve.stop('SIGKILL');
    throw error;
  }
  return { process: serve, url, key };
}

/**
 * Server mode: `keel orchestrator` and `keel api` in front of it, plus (unless `inProcessApi` is
 * false) a second `keel api` with the governor in process.
 */
export async function deploy(
  options: DeployOptions & { inProcessApi?: boolean },
): Promise<Deployment> {
  const [apiPort, inProcessPort, orchestratorPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const prepared = await prepareKeel(options);
  const { key } = prepared;
  const env = { ...prepared.env, KEEL_ORCHESTRATOR_PORT: String(orchestratorPort) };
  const orchestrator = startKeel('orchestrator', ['orchestrator'], env, {
    nodeOptions: options.nodeOptions('orchestrator'),
  });
  await waitForHttp(`http://127.0.0.1:${orchestratorPort}/health/live`, {
    process: orchestrator,
    timeoutMs: 120_000,
  });
  const api = startKeel(
    'api',
    ['api'],
    {
      ...env,
      PORT: String(apiPort),
      KEEL_ORCHESTRATOR_URL: `http://127.0.0.1:${orchestratorPort}`,
    },
    { nodeOptions: options.nodeOptions('api') },
  );
  const urls = {
    keel: `http://127.0.0.1:${apiPort}`,
    inprocess: `http://127.0.0.1:${inProcessPort}`,
  };
  await waitForHttp(`${urls.keel}/health/ready`, { process: api });
  if (options.inProcessApi === false) return { env, processes: [orchestrator, api], urls, key };
  const inProcess = startKeel('api-inprocess', ['api'], { ...env, PORT: String(inProcessPort) });
  await waitForHttp(`${urls.inprocess}/health/ready`, { process: inProcess });
  return { env, processes: [orchestrator, api, inProcess], urls, key };
}
