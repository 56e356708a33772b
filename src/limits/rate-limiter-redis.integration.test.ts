import { describe, expect, it } from 'vitest';
import { describeRateLimiterContract } from '../../test/contracts/rate-limiter-contract.js';
import { useRedisTestKeys } from '../../test/helpers/redis-test-keys.js';
import { redisAvailable } from '../redis/connection.js';
import { createRedisRateLimiter } from './rate-limiter-redis.js';

const keys = useRedisTestKeys('rate');
const { prefix } = keys;
let created = 0;

// A fresh sub-prefix per limiter: each contract case starts from empty keys.
describeRateLimiterContract('redis', () =>
  createRedisRateLimiter({ connection: keys.redis, prefix: `${prefix}${created++}:` }),
);

describe('redis rate limiter', () => {
  it('shares one limit exactly between two replicas on separate connections', async () => {
    const replicaPrefix = `${prefix}replicas:`;
    const first = createRedisRateLimiter({
      connection: await keys.connect(),
      prefix: replicaPrefix,
    });
    const second = createRedisRateLimiter({
      connection: await keys.connect(),
      prefix: replicaPrefix,
    });
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
    const limiter = createRedisRateLimiter({ connection: keys.redis, prefix: `${prefix}expiry:` });
    await limiter.consume('peeked', { limit: 3, windowMs: 1_000 }, 0);
    expect(await keys.redis.exists(`${prefix}expiry:peeked`)).toBe(0);

    await limiter.consume('used', { limit: 4, windowMs: 1_000 });
    const ttl = await keys.redis.pttl(`${prefix}expiry:used`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(250);
  });

  it('replaces a counter with a bucket and a bucket with a counter', async () => {
    const limiter = createRedisRateLimiter({ connection: keys.redis, prefix: `${prefix}kinds:` });
    await limiter.increment('mixed', 60_000);
    expect(await limiter.consume('mixed', { limit: 2, windowMs: 60_000 })).toMatchObject({
      allowed: true,
      remaining: 1,
    });
    expect(await limiter.increment('mixed', 60_000)).toBe(1);
  });

  it('fails fast with a 503 while Redis is unreachable', async () => {
    const unreachable = keys.unreachable();
    const limiter = createRedisRateLimiter({ connection: unreachable, prefix });

    await expect(limiter.consume('anyone', { limit: 1, windowMs: 1_000 })).rejects.toMatchObject({
      code: 'dependency_unavailable',
      status: 503,
      retryable: true,
    });
    await expect(limiter.increment('anyone', 1_000)).rejects.toMatchObject({ status: 503 });
    expect(await redisAvailable(unreachable)).toBe(false);
    expect(await redisAvailable(keys.redis)).toBe(true);
  });
});
