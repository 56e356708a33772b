import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeCacheContract } from '../../test/contracts/cache-contract.js';
import { useRedisTestKeys } from '../../test/helpers/redis-test-keys.js';
import { createRedisCache } from './cache-redis.js';

const keys = useRedisTestKeys('cache');
const { prefix } = keys;
let created = 0;

describeCacheContract('redis', () => {
  const cachePrefix = `${prefix}${created++}:`;
  return {
    cache: createRedisCache({ connection: keys.redis, prefix: cachePrefix }),
    writeRaw: async (key, text) => {
      await keys.redis.set(cachePrefix + key, text, 'EX', 60);
    },
  };
});

describe('redis cache', () => {
  it('is shared by replicas on separate connections, under its prefix with a Redis TTL', async () => {
    const replicaPrefix = `${prefix}replicas:`;
    const first = createRedisCache({ connection: await keys.connect(), prefix: replicaPrefix });
    const second = createRedisCache({ connection: await keys.connect(), prefix: replicaPrefix });

    await first.set('answer:42', { text: 'shared' }, 30);
    expect(await second.get('answer:42', z.object({ text: z.string() }))).toEqual({
      text: 'shared',
    });
    const ttl = await keys.redis.pttl(`${replicaPrefix}answer:42`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);

    await second.delete('answer:42');
    expect(await first.get('answer:42', z.object({ text: z.string() }))).toBeUndefined();
  });

  it('answers 503 while Redis is unreachable, but getOrSet still computes', async () => {
    const absorbed: string[] = [];
    const cache = createRedisCache({
      connection: keys.unreachable(),
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
