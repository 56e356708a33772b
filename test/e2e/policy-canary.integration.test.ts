import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRoot } from '../../src/config/config.js';
import {
  type KeelProcess,
  freePort,
  runKeel,
  startKeel,
  waitForHttp,
} from '../helpers/keel-process.js';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres-database.js';
import {
  type PrivateService,
  privateServicesAvailable,
  startPrivateRedis,
} from '../helpers/private-services.js';
import { createTestKeel } from '../helpers/test-keel.js';

const QUESTION = { message: 'How do I roll back a policy?' };

/**
 * Server mode as two OS processes: this test's Keel starts the canary (and may judge it), a
 * separate `keel api` on the same PostgreSQL and Redis serves the calls. The canary's start and
 * its automatic rollback must reach the api process within seconds.
 */
describe.skipIf(!privateServicesAvailable)(
  'policy canary across processes (PostgreSQL + Redis)',
  () => {
    let database: TestDatabase;
    let redis: PrivateService;
    let here: Awaited<ReturnType<typeof createTestKeel>>;
    let api: KeelProcess;
    let url: string;
    let env: Record<string, string>;
    let trial: string;

    const ask = async () =>
      fetch(`${url}/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(QUESTION),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { policy?: { version: string } },
      }));
    /** Asks until the api process answers with `status`, for at most `ms`. */
    const askUntil = async (status: number, ms: number) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const answer = await ask();
        if (answer.status === status) return answer;
        if (Date.now() > deadline) throw new Error(`still ${answer.status} after ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    beforeAll(async () => {
      database = await createTestDatabase();
      redis = await startPrivateRedis();
      const policiesDir = join(mkdtempSync(join(tmpdir(), 'keel-canary-')), 'policies');
      cpSync(join(installRoot, 'policies'), policiesDir, { recursive: true });
      appendFileSync(join(policiesDir, 'policy.yaml'), '\ncanary:\n  minCalls: 6\n');
      env = {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        KEEL_AUTH: 'off',
        KEEL_POLICIES_DIR: policiesDir,
        KEEL_LLM: 'extractive',
        KEEL_EMBEDDINGS: 'none',
        KEEL_LOG_LEVEL: 'warn',
      };
      here = await createTestKeel(env, { worker: false });
      // The version on trial refuses the very question the active one answers.
      const file = join(policiesDir, 'policy.yaml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          'topics: []',
          'topics: [{ id: rollback, pattern: "roll ?back", reason: "Not discussed here" }]',
        ),
      );
      trial = (await here.keel.policies.snapshotDisk()).version;
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      api = startKeel('api', ['api'], {
        ...env,
        PORT: String(port),
        KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'keel-canary-api-')),
      });
      await waitForHttp(`${url}/health/ready`, { process: api, timeoutMs: 60_000 });
    }, 120_000);
    afterAll(async () => {
      await api?.stop();
      await here?.close();
      await redis?.destroy();
      await database?.drop();
    });

    it('serves the canary in the other process at once and rolls it back there within seconds', async () => {
      const base = (await here.keel.policies.current()).version;
      expect((await askUntil(200, 5_000)).body.policy?.version).toBe(base);

      // 100 %: the single user of a sign-in-off install is in the canary.
      await here.keel.canaries.start(trial, 100, { actor: 'test', reason: 'across processes' });
      await askUntil(422, 3_000);
      for (let call = 0; call < 6; call += 1) expect((await ask()).status).toBe(422);

      // Either process judges it (every 2 s); the api process must then answer under `base`.
      const answered = await askUntil(200, 8_000);
      expect(answered.body.policy?.version).toBe(base);
      const [rollback] = await here.keel.store.searchAudit({
        action: 'policy.canary.rollback',
        limit: 5,
      });
      expect(rollback).toMatchObject({ actor: 'system:canary', target: `policy:${trial}` });
      expect(rollback?.steps[0]?.reasons.join('\n')).toMatch(/refusal rate 100\.0% against/);

      const status = await runKeel(['policy', 'canary', 'status'], env);
      expect(status).toContain('No policy canary is running.');
      expect(status).toMatch(new RegExp(`${trial} at 100 % .*rolled back .* by system:canary`));
    }, 120_000);
  },
);
