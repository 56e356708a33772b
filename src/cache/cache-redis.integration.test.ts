import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeCacheContract } from '../../test/contracts/cache-contract.js';
import {
  closeRedisConnection,
  createRedisConnection,
  waitUntilReady,
} from '../redis/connection.js';
import { createRedisCache } from './cache-redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Every key this file writes starts with it, so parallel test files never meet and cleanup
// deletes only what this file wrote.
const prefix = `keel-test:cache:${randomUUID()}:`;
const connections: Redis[] = [];
let created = 0;

async function connect(): Promise<Redis> {
  const connection = createRedisConnection(redisUrl);
  connections.push(connection);
  await waitUntilReady(connection);
  return connection;
}

let shared: Redis;
beforeAll(async () => {
  shared = await connect();
});

afterAll(async () => {
  for await (const keys of shared.scanStream({ match: `${prefix}*`, count: 1_000 })) {
    if ((keys as string[]).length > 0) await shared.del(...(keys as string[]));
  }
  await Promise.all(connections.map(closeRedisConnection));
});

describeCacheContract('redis', () => {
  const cachePrefix = `${prefix}${created++}:`;
  return {
    cache: createRedisCache({ connection: shared, prefix: cachePrefix }),
    writeRaw: async (key, text) => {
      await shared.set(cachePrefix + key, text, 'EX', 60);
    },
  };
});

describe('redis cache', () => {
  it('is shared by replicas on separate connections, under its prefix with a Redis TTL', async () => {
    const replicaPrefix = `${prefix}replicas:`;
    const first = createRedisCache({ connection: await connect(), prefix: replicaPrefix });
    const second = createRedisCache({ connection: await connect(), prefix: replicaPrefix });

    await first.set('answer:42', { text: 'shared' }, 30);
    expect(await second.get('answer:42', z.object({ text: z.string() }))).toEqual({
      text: 'shared',
    });
    const ttl = await shared.pttl(`${replicaPrefix}answer:42`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);

    await second.delete('answer:42');
    expect(await first.get('answer:42', z.object({ text: z.string() }))).toBeUndefined();
  });

  it('answers 503 while Redis is unreachable, but getOrSet still computes', async () => {
    // Nothing listens on port 1: the connection stays down and keeps retrying in the background.
    const unreachable = createRedisConnection('redis://127.0.0.1:1');
    connections.push(unreachable);
    const absorbed: string[] = [];
    const cache = createRedisCache({
      connection: unreachable,
      prefix,
      onUnavailable: (_error, key) => absorbed.push(key),
    });

    await expect(cache.get('key', z.string())).rejects.toMatchObject({
      code: 'dependency_unavailable',
      status: 503,
    });
    await expect(cache.set('key', 'value', 60)).rejects.toMatchObject({ status: 503 });
    await expect(cache.delete('key')).rejects.toMatchObject({ status: 503 });
    expect(await cache.getOrSet('key', 60, async () => 'computed', z.string())).toBe('computed');
    expect(absorbed).toEqual(['key', 'key']);
  });
});
