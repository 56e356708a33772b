import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describePubSubContract } from '../../test/contracts/pubsub-contract.js';
import {
  TEST_REDIS_URL as redisUrl,
  UNREACHABLE_REDIS_URL,
  useRedisTestKeys,
} from '../../test/helpers/redis-test-keys.js';
import type { EventObject } from './pubsub.js';
import { openRedisPubSub } from './pubsub-redis.js';

// Pub/sub writes no keys; the file's prefix keeps the channels of parallel test runs apart.
const keys = useRedisTestKeys('events');
const { prefix } = keys;
let networks = 0;

describePubSubContract('redis', () => {
  const networkPrefix = `${prefix}${networks++}:`;
  return ({ logger }) => openRedisPubSub({ url: redisUrl, prefix: networkPrefix, logger });
});

/** The `CLIENT LIST` entry (id and subscription count) of the connection with this name. */
async function clientNamed(
  name: string,
): Promise<{ id: string; subscriptions: number } | undefined> {
  const list = await keys.redis.client('LIST');
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
      await keys.redis.client('KILL', 'ID', before!.id);
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
      openRedisPubSub({ url: UNREACHABLE_REDIS_URL, prefix, connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'dependency_unavailable', status: 503 });
  });
});
