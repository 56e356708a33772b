import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres-database.js';
import {
  type PrivateService,
  privateServicesAvailable,
  startPrivateRedis,
} from '../helpers/private-services.js';
import { skipUnlessCi } from '../helpers/skip-unless-ci.js';
import { expectResumedExactly, openEventStream } from '../helpers/sse-client.js';
import type { TestKeel } from '../helpers/test-keel.js';
import { createTestKeel } from '../helpers/test-keel.js';

/**
 * Server mode with two API replicas on one PostgreSQL and one Redis, each with its own
 * connections, pub/sub and HTTP server: what one replica publishes reaches a client of the other,
 * and a client that moves to the other replica resumes with Last-Event-ID without a gap.
 */
describe.skipIf(skipUnlessCi(privateServicesAvailable, 'redis-server'))(
  'realtime channel across two api replicas (PostgreSQL + Redis)',
  () => {
    let redis: PrivateService;
    let database: TestDatabase;
    let first: TestKeel;
    let second: TestKeel;
    const addresses: string[] = [];

    beforeAll(async () => {
      [redis, database] = await Promise.all([startPrivateRedis(), createTestDatabase()]);
      const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, KEEL_EMBEDDINGS: 'none' };
      // The first replica also runs the workers, as `keel worker` beside `keel api` would.
      first = await createTestKeel(env, { bundled: false });
      second = await createTestKeel(env, { bundled: false, worker: false });
      for (const replica of [first, second]) {
        addresses.push(await replica.app.listen({ port: 0, host: '127.0.0.1' }));
      }
    }, 120_000);
    afterAll(async () => {
      await second?.close();
      await first?.close();
      await Promise.all([redis?.destroy(), database?.drop()]);
    }, 60_000);

    it('delivers a message appended on one replica to a tab on the other, and resumes on either', async () => {
      const conversation = await first.keel.store.conversations.create({
        workspaceId: 'default',
        userId: 'local',
        title: 'Two replicas',
      });
      const topic = `conversation:${conversation.id}`;
      const tab = await openEventStream(`${addresses[1]}/v1/realtime?topic=${topic}`);
      const chat = async (message: string) => {
        const response = await first.app.inject({
          method: 'POST',
          url: '/v1/chat',
          payload: { message, conversationId: conversation.id },
        });
        expect(response.statusCode, response.body).toBe(200);
      };
      await chat('How do I roll back a policy?');
      const [event] = await tab.next(1);
      expect(event).toMatchObject({
        event: 'message-appended',
        data: { conversationId: conversation.id },
      });
      await tab.close();

      // Away while two more are appended through the second replica's own API.
      for (const message of ['What is a knowledge source?', 'Where are jobs kept?']) {
        const response = await second.app.inject({
          method: 'POST',
          url: '/v1/chat',
          payload: { message, conversationId: conversation.id },
        });
        expect(response.statusCode, response.body).toBe(200);
      }
      const back = await openEventStream(`${addresses[0]}/v1/realtime?topic=${topic}`, {
        'last-event-id': event!.id!,
      });
      await expectResumedExactly(
        back,
        ['What is a knowledge source?', 'Where are jobs kept?'],
        chat,
      );
      await back.close();
    });

    it('shows a job enqueued on one replica and run by the other’s worker to the enqueuing replica’s client', async () => {
      const enqueued = await second.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        // Delayed, so the client follows before it runs.
        payload: {
          queue: 'predictions',
          payload: { seriesId: 'missing-series', horizon: 3 },
          delayMs: 1_500,
        },
      });
      expect(enqueued.statusCode, enqueued.body).toBe(202);
      const id = enqueued.json<{ id: string }>().id;
      const stream = await openEventStream(`${addresses[1]}/v1/realtime?topic=job:${id}`);
      const [state] = await stream.next(1);
      expect(state).toMatchObject({ event: 'job-updated', data: { job: { id } } });
      const states: string[] = [];
      while (!['completed', 'dead'].includes(states.at(-1) ?? '')) {
        const [event] = await stream.next(1, 15_000);
        expect(event!.id).toMatch(/^\d+-\d+$/);
        if (event!.event === 'job-updated')
          states.push((event!.data.job as { state: string }).state);
        else expect(event).toMatchObject({ event: 'job-progress', data: { jobId: id } });
      }
      expect(states).toContain('running');
      await stream.close();
    });
  },
);
