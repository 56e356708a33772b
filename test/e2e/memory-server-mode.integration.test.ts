import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  type BearerHeaders,
  createAuthFixture,
} from '../helpers/auth-fixtures.js';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres-database.js';
import {
  type PrivateService,
  privateServicesAvailable,
  startPrivateRedis,
} from '../helpers/private-services.js';
import { skipUnlessCi } from '../helpers/skip-unless-ci.js';
import { createTestKeel } from '../helpers/test-keel.js';

/*
 * Long-term memory in server mode: an API Keel without a worker and a worker Keel, sharing a
 * PostgreSQL database and a Redis (BullMQ) of this test's own. The chat's memory job crosses
 * Redis to the worker, which stores the fact in PostgreSQL; the API recalls it in a later chat
 * of the same user and never for anyone else.
 */
describe.skipIf(skipUnlessCi(privateServicesAvailable, 'redis-server'))(
  'long-term memory in server mode (PostgreSQL + Redis, separate worker)',
  () => {
    let database: TestDatabase;
    let redis: PrivateService;
    let api: AuthFixture;
    let worker: Awaited<ReturnType<typeof createTestKeel>>;

    const chat = (headers: BearerHeaders, message: string) =>
      api.app.inject({ method: 'POST', url: '/v1/chat', headers, payload: { message } });
    const memoriesOf = async (headers: BearerHeaders) => {
      const response = await api.app.inject({ method: 'GET', url: '/v1/memories', headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ memories: { id: string; text: string }[] }>().memories;
    };

    beforeAll(async () => {
      [database, redis] = await Promise.all([createTestDatabase(), startPrivateRedis()]);
      const env = {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        KEEL_LLM: 'extractive',
        KEEL_EMBEDDINGS: 'none',
      };
      api = await createAuthFixture(env, { worker: false });
      worker = await createTestKeel(env, { bundled: false });
    }, 180_000);
    afterAll(async () => {
      await api?.close();
      await worker?.close();
      await Promise.all([redis?.destroy(), database?.drop()]);
    }, 60_000);

    it('a fact said in one chat is extracted by the worker and recalled in a later chat', async () => {
      expect(api.harness.keel.store.dialect).toBe('postgres');
      const alice = api.a.user.headers;
      const first = await chat(
        alice,
        'I work at Acme Shipping. My card is 4111 1111 1111 1111. How do I roll back a policy?',
      );
      // The card number refuses the whole turn: nothing of it may be remembered.
      expect(first.statusCode).toBe(422);
      const second = await chat(
        alice,
        'I manage the Porto warehouse. How do I roll back a policy?',
      );
      expect(second.statusCode, second.body).toBe(200);

      const deadline = Date.now() + 60_000;
      let stored = await memoriesOf(alice);
      while (stored.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        stored = await memoriesOf(alice);
      }
      expect(stored.map((memory) => memory.text)).toEqual(['I manage the Porto warehouse.']);
      const [job] = await api.harness.keel.jobs.list({ queue: 'memory' });
      expect(job).toMatchObject({ state: 'completed', result: { added: 1 } });

      const later = await chat(alice, 'Which warehouse settings does a policy have?');
      expect(later.json().memories).toEqual([
        { id: stored[0]!.id, kind: 'fact', text: 'I manage the Porto warehouse.' },
      ]);
      expect(JSON.stringify(await memoriesOf(alice))).not.toMatch(/4111|Acme/);
    });

    it('never shows the memory to another user, in the same workspace or another', async () => {
      for (const other of [api.a.manager, api.b.user]) {
        expect(await memoriesOf(other.headers)).toEqual([]);
        const answer = await chat(other.headers, 'Which warehouse settings does a policy have?');
        expect(answer.json().memories).toEqual([]);
      }
    });
  },
);
