import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobLoad, startWebhookReceiver, tally } from '../helpers/job-load.js';
import {
  type KeelProcess,
  createApiKey,
  freePort,
  runKeel,
  startKeel,
  waitForHttp,
  waitForOutput,
} from '../helpers/keel-process.js';
import { skipUnlessCi } from '../helpers/skip-unless-ci.js';
import {
  POSTGRES_BIN,
  type PrivateService,
  privateServicesAvailable,
  startPrivatePostgres,
  startPrivateRedis,
} from '../helpers/private-services.js';

/*
 * Server mode as separate OS processes on loopback — two `keel api` replicas, one
 * `keel orchestrator`, two `keel worker`s — over a PostgreSQL cluster and a Redis of this test's
 * own (see private-services.ts), which it kills and restarts under load. Slow by nature (about
 * two minutes); every wait is bounded.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DOWNTIME_MS = 4_000;
/** A job whose worker was killed comes back when its lock runs out (BullMQ: 30 s), plus retries. */
const DRAIN_TIMEOUT_MS = 150_000;

describe.skipIf(
  skipUnlessCi(
    privateServicesAvailable,
    `PostgreSQL's initdb (looked in ${POSTGRES_BIN}) or redis-server`,
  ),
)('server mode under faults (separate processes)', () => {
  let postgres: PrivateService;
  let redis: PrivateService;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let workDir: string;
  let env: Record<string, string>;
  let key: string;
  let orchestratorPort: number;
  const apis: { process: KeelProcess; url: string }[] = [];
  const processes: KeelProcess[] = [];

  const start = (name: string, args: string[], extra: Record<string, string> = {}) => {
    const started = startKeel(name, args, { ...env, ...extra });
    processes.push(started);
    return started;
  };
  const startOrchestrator = async () => {
    const orchestrator = start('orchestrator', ['orchestrator']);
    await waitForHttp(`http://127.0.0.1:${orchestratorPort}/health/live`, {
      process: orchestrator,
      timeoutMs: 90_000,
    });
    return orchestrator;
  };
  const startWorker = async (name: string) => {
    // At info, a worker logs each job it completes: the failure report shows who ran what.
    // Each worker serves its probes on a port of its own, as each pod would.
    const worker = start(name, ['worker', '--queues', 'webhooks', '--concurrency', '4'], {
      KEEL_LOG_LEVEL: 'info',
      KEEL_WORKER_PORT: String(await freePort()),
    });
    await waitForOutput(worker, 'Keel worker is running', 90_000);
  };
  /** Every process's last words, for a failing assertion's message. */
  const logs = () =>
    processes.map((process) => `── ${process.name}\n${process.output().slice(-3_000)}`).join('\n');

  beforeAll(async () => {
    [postgres, redis, receiver] = await Promise.all([
      startPrivatePostgres(),
      startPrivateRedis(),
      startWebhookReceiver(500),
    ]);
    workDir = await mkdtemp(join(tmpdir(), 'keel-faults-'));
    orchestratorPort = await freePort();
    env = {
      KEEL_DATA_DIR: join(workDir, 'data'),
      KEEL_PROFILE: 'development',
      KEEL_AUTH: 'on',
      KEEL_LOG_LEVEL: 'warn',
      KEEL_SECRET: randomBytes(32).toString('hex'),
      KEEL_INTERNAL_SECRET: randomBytes(32).toString('hex'),
      KEEL_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
      // The webhook receiver listens on loopback, which the operator allows here.
      KEEL_OUTBOUND_ALLOW: '127.0.0.1',
      KEEL_LLM: 'extractive',
      KEEL_EMBEDDINGS: 'none',
      KEEL_ORCHESTRATOR_PORT: String(orchestratorPort),
      // The job load enqueues far more than a user's chat budget (POST /v1/jobs shares it).
      KEEL_RATE_LIMIT_CHAT: '100000',
      KEEL_ARGON2_MEMORY_KIB: '19456',
      KEEL_ARGON2_ITERATIONS: '2',
      KEEL_ARGON2_PARALLELISM: '1',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
    };
    await runKeel(['migrate'], env);
    key = await createApiKey(env, { email: 'ops@example.com', role: 'admin', scopes: 'admin' });
    await startOrchestrator();
    for (const index of [1, 2]) {
      const port = await freePort();
      const api = start(`api-${index}`, ['api'], {
        PORT: String(port),
        KEEL_ORCHESTRATOR_URL: `http://127.0.0.1:${orchestratorPort}`,
      });
      apis.push({ process: api, url: `http://127.0.0.1:${port}` });
    }
    for (const api of apis) await waitForHttp(`${api.url}/health/ready`, { process: api.process });
    await Promise.all([startWorker('worker-1'), startWorker('worker-2')]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    await Promise.all([postgres?.destroy(), redis?.destroy(), receiver?.close()]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  const chat = (url: string) =>
    fetch(`${url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ message: 'How do I roll back a policy?' }),
      signal: AbortSignal.timeout(20_000),
    });

  it('answers 503 orchestrator_unavailable at once while the orchestrator is down, then recovers', async () => {
    const api = apis[0]!.url;
    expect((await chat(api)).status, logs()).toBe(200);
    const orchestrator = processes.find((process) => process.name === 'orchestrator')!;
    await orchestrator.stop('SIGKILL');
    const started = Date.now();
    const refused = await chat(api);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'orchestrator_unavailable',
    );
    // Two quick retries (100 + 400 ms) on a refused connection, then the answer: no hang.
    expect(Date.now() - started).toBeLessThan(5_000);
    const ready = await fetch(`${api}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).toMatchObject({
      database: 'ok',
      orchestrator: expect.stringContaining('failed'),
    });
    await startOrchestrator();
    expect((await chat(api)).status, logs()).toBe(200);
  }, 120_000);

  it('completes every acknowledged job through a worker kill, a Redis restart and a PostgreSQL restart', async () => {
    const load = startJobLoad({
      apis: apis.map((api) => api.url),
      key,
      hookUrl: receiver.url,
      clients: 2,
      timeoutMs: 15_000,
      pauseMs: 25,
    });
    await sleep(3_000);

    load.phase = 'worker-killed';
    // More deliveries in flight than one worker runs at once (4): worker-1 is surely mid-job.
    const deadline = Date.now() + 20_000;
    while (receiver.inFlight() < 5 && Date.now() < deadline) await sleep(10);
    expect(receiver.inFlight(), logs()).toBeGreaterThanOrEqual(5);
    await processes.find((process) => process.name === 'worker-1')!.stop('SIGKILL');
    await startWorker('worker-3');
    await sleep(3_000);

    load.phase = 'redis-down';
    await redis.stop();
    await sleep(DOWNTIME_MS);
    await redis.start();
    load.phase = 'redis-back';
    await sleep(5_000);

    load.phase = 'postgres-down';
    await postgres.stop();
    await sleep(DOWNTIME_MS);
    await postgres.start();
    load.phase = 'postgres-back';
    await sleep(5_000);
    await load.stop();

    const report = () =>
      `calls: ${JSON.stringify(tally(load.calls), null, 1)}\n` +
      `acknowledged ${load.acknowledged.size}, delivered ${receiver.delivered.size}\n${logs()}`;
    // Every call finished in time with a deliberate answer: 202, or 503 naming what is down.
    const unexpected = load.calls.filter((call) => call.status !== 202 && call.status !== 503);
    expect(unexpected, report()).toEqual([]);
    const unnamed = load.calls.filter((call) => call.status === 503 && !call.code);
    expect(unnamed, report()).toEqual([]);
    const refusedWhile = (phase: string) =>
      load.calls.filter(
        (call) =>
          call.phase === phase && call.status === 503 && call.code === 'dependency_unavailable',
      ).length;
    expect(refusedWhile('redis-down'), report()).toBeGreaterThan(0);
    expect(refusedWhile('postgres-down'), report()).toBeGreaterThan(0);
    expect(
      load.calls.filter((call) => call.phase === 'postgres-back' && call.status === 202).length,
      report(),
    ).toBeGreaterThan(0);

    const drainedBy = Date.now() + DRAIN_TIMEOUT_MS;
    const missing = () => [...load.acknowledged].filter((id) => !receiver.delivered.has(id));
    while (missing().length > 0 && Date.now() < drainedBy) await sleep(500);
    if (missing().length > 0) {
      // Where the lost jobs stand, as the API sees them, for the failure message.
      const states = await Promise.all(
        missing()
          .slice(0, 10)
          .map(async (id) => {
            const response = await fetch(`${apis[0]!.url}/v1/jobs/${id}`, {
              headers: { authorization: `Bearer ${key}` },
            });
            return `${id}: ${response.status} ${await response.text()}`;
          }),
      );
      expect(missing(), `${states.join('\n')}\n${report()}`).toEqual([]);
    }

    // Worker-1's unfinished deliveries were cut off, and still arrived: run again elsewhere.
    expect(receiver.interrupted(), report()).toBeGreaterThan(0);
    for (const api of apis) {
      expect(api.process.alive(), report()).toBe(true);
      expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
    }
    const duplicates = [...receiver.delivered.values()].filter((count) => count > 1).length;
    console.info(
      `faults: ${load.acknowledged.size} acknowledged, ${receiver.delivered.size} delivered ` +
        `(${duplicates} more than once, ${receiver.interrupted()} cut off by the worker kill); ` +
        `calls by phase ${JSON.stringify(tally(load.calls))}`,
    );
  }, 360_000);
});
