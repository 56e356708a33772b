import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRateLimiterContract } from '../../test/contracts/rate-limiter-contract.js';
import {
  closeRedisConnection,
  createRedisConnection,
  redisAvailable,
  waitUntilReady,
} from '../redis/connection.js';
import { createRedisRateLimiter } from './rate-limiter-redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Every key this file writes starts with it, so parallel test files never meet and cleanup
// deletes only what this file wrote.
const prefix = `keel-test:rate:${randomUUID()}:`;
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

// A fresh sub-prefix per limiter: each contract case starts from empty keys.
describeRateLimiterContract('redis', () =>
  createRedisRateLimiter({ connection: shared, prefix: `${prefix}${created++}:` }),
);

describe('redis rate limiter', () => {
  it('shares one limit exactly between two replicas on separate connections', async () => {
    const replicaPrefix = `${prefix}replicas:`;
    const first = createRedisRateLimiter({ connection: await connect(), prefix: replicaPrefix });
    const second = createRedisRateLimiter({ connection: await connect(), prefix: replicaPrefix });
    const rule = { limit: 9, windowMs: 60_000 };

    const decisions = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? first : second).consume('user:shared', rule),
      ),
    );

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(9);
    expect(await first.consume('user:shared', rule, 0)).toMatchObject({ remaining: 0 });
    await second.reset('user:shared');
    expect(await first.consume('user:shared', rule, 0)).toMatchObject({ remaining: 9 });
  });

  it('keeps no key for a read and lets a bucket expire when it is full again', async () => {
    const limiter = createRedisRateLimiter({ connection: shared, prefix: `${prefix}expiry:` });
    await limiter.consume('peeked', { limit: 3, windowMs: 1_000 }, 0);
    expect(await shared.exists(`${prefix}expiry:peeked`)).toBe(0);

    await limiter.consume('used', { limit: 4, windowMs: 1_000 });
    const ttl = await shared.pttl(`${prefix}expiry:used`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(250);
  });

  it('replaces a counter with a bucket and a bucket with a counter', async () => {
    const limiter = createRedisRateLimiter({ connection: shared, prefix: `${prefix}kinds:` });
    await limiter.increment('mixed', 60_000);
    expect(await limiter.consume('mixed', { limit: 2, windowMs: 60_000 })).toMatchObject({
      allowed: true,
      remaining: 1,
    });
    expect(await limiter.increment('mixed', 60_000)).toBe(1);
  });

  it('fails fast with a 503 while Redis is unreachable', async () => {
    // Nothing listens on port 1: the connection stays down and keeps retrying in the background.
    const unreachable = createRedisConnection('redis://127.0.0.1:1');
    connections.push(unreachable);
    const limiter = createRedisRateLimiter({ connection: unreachable, prefix });

    await expect(limiter.consume('anyone', { limit: 1, windowMs: 1_000 })).rejects.toMatchObject({
      code: 'dependency_unavailable',
      status: 503,
      retryable: true,
    });
    await expect(limiter.increment('anyone', 1_000)).rejects.toMatchObject({ status: 503 });
    expect(await redisAvailable(unreachable)).toBe(false);
    expect(await redisAvailable(shared)).toBe(true);
  });
});
