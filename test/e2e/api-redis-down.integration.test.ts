import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeelProcess, freePort, startKeel, waitForHttp } from '../helpers/keel-process.js';
import {
  type PrivateService,
  privateServicesAvailable,
  startPrivateRedis,
} from '../helpers/private-services.js';

describe.skipIf(!privateServicesAvailable)('keel api with Redis down at start', () => {
  let redis: PrivateService;
  let api: KeelProcess;
  let dataDir: string;
  let base: string;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    await redis.stop();
    dataDir = await mkdtemp(join(tmpdir(), 'keel-redis-down-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = startKeel('api', ['api'], {
      PORT: String(port),
      KEEL_DATA_DIR: dataDir,
      KEEL_AUTH: 'off',
      KEEL_LOG_LEVEL: 'warn',
      REDIS_URL: redis.url,
    });
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await redis?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('listens, reports unready naming Redis, and becomes ready once Redis is up', async () => {
    await waitForHttp(`${base}/health/live`, { process: api });
    const down = await fetch(`${base}/api/ready`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { checks: Record<string, string> };
    expect(body.checks.redis).toMatch(/^failed/);
    expect(body.checks.database).toBe('ok');
    expect(api.output()).toContain('Redis is not reachable at start');
    // Liveness stays up: restarting the process would not bring Redis back.
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    await redis.start();
    await waitForHttp(`${base}/api/ready`, { process: api, timeoutMs: 30_000 });
  }, 90_000);
});
