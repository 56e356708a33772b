import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePubSubContract } from '../../test/contracts/pubsub-contract.js';
import {
  closeRedisConnection,
  createRedisConnection,
  waitUntilReady,
} from '../redis/connection.js';
import type { EventObject } from './pubsub.js';
import { openRedisPubSub } from './pubsub-redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Pub/sub writes no keys; a random prefix keeps the channels of parallel test runs apart.
const prefix = `keel-test:events:${randomUUID()}:`;
let networks = 0;

let admin: Redis;
beforeAll(async () => {
  admin = createRedisConnection(redisUrl, { name: 'keel-test-admin' });
  await waitUntilReady(admin);
});
afterAll(() => closeRedisConnection(admin));

describePubSubContract('redis', () => {
  const networkPrefix = `${prefix}${networks++}:`;
  return ({ logger }) => openRedisPubSub({ url: redisUrl, prefix: networkPrefix, logger });
});

/** The `CLIENT LIST` entry (id and subscription count) of the connection with this name. */
async function clientNamed(
  name: string,
): Promise<{ id: string; subscriptions: number } | undefined> {
  const list = await admin.client('LIST');
  for (const line of String(list).split('\n')) {
    const fields = new Map(line.split(' ').map((field) => field.split('=') as [string, string]));
    if (fields.get('name') === name) {
      return { id: fields.get('id')!, subscriptions: Number(fields.get('sub')) };
    }
  }
  return undefined;
}

async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('redis pub/sub', () => {
  it('resubscribes every channel after its connection is dropped', async () => {
    const name = `keel-test-${randomUUID()}`;
    const channelPrefix = `${prefix}reconnect:`;
    const replica = await openRedisPubSub({ url: redisUrl, prefix: channelPrefix, name });
    const producer = await openRedisPubSub({ url: redisUrl, prefix: channelPrefix });
    try {
      const received: EventObject[] = [];
      await replica.subscribe('job:1', (event) => {
        received.push(event);
      });
      await replica.subscribe('job:2', (event) => {
        received.push(event);
      });

      const before = await clientNamed(`${name}-subscriber`);
      expect(before?.subscriptions).toBe(2);
      await admin.client('KILL', 'ID', before!.id);
      await waitUntil(async () => {
        const after = await clientNamed(`${name}-subscriber`);
        return after && after.id !== before!.id && after.subscriptions === 2 ? after : undefined;
      });

      await producer.publish('job:1', { step: 1 });
      await producer.publish('job:2', { step: 2 });
      await waitUntil(async () => (received.length === 2 ? received : undefined));
      expect(received).toEqual([{ step: 1 }, { step: 2 }]);
    } finally {
      await Promise.all([replica.close(), producer.close()]);
    }
  });

  it('fails with a 503 when Redis cannot be reached at start-up', async () => {
    await expect(
      openRedisPubSub({ url: 'redis://127.0.0.1:1', prefix, connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'dependency_unavailable', status: 503 });
  });
});
