import type { Redis } from 'ioredis';
import { callRedis } from '../redis/connection.js';
import type { Cache, CacheOptions, CacheStorage } from './cache.js';
import { createCache } from './cache.js';

export interface RedisCacheOptions extends CacheOptions {
  /** A connection from `createRedisConnection`; the cache does not close it. */
  connection: Redis;
  /** Prepended to every key, so deployments and tests sharing a Redis stay apart. */
  prefix?: string;
}

/**
 * The cache shared by every replica. Expiry is Redis's own (SET with a TTL), so nothing sweeps;
 * size is bounded by Redis's `maxmemory` policy (`allkeys-lru` suits a cache-only Redis). While
 * Redis is down, `get`, `set` and `delete` fail with a 503 and `getOrSet` computes uncached.
 *
 * @example
 *   const cache = createRedisCache({ connection: redis, prefix: 'keel:cache:',
 *     onUnavailable: (error) => logger.warn({ err: error }, 'cache unavailable') });
 */
export function createRedisCache(options: RedisCacheOptions): Cache {
  return createCache(
    new RedisCacheStorage(options.connection, options.prefix ?? 'keel:cache:'),
    options,
  );
}

export class RedisCacheStorage implements CacheStorage {
  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  async read(key: string): Promise<string | undefined> {
    const text = await callRedis('cache get', () => this.connection.get(this.prefix + key));
    return text ?? undefined;
  }

  async write(key: string, text: string, ttlMs: number): Promise<void> {
    // PX rather than EX: the TTL in milliseconds keeps fractional seconds (and short test TTLs)
    // exact instead of rounding them to whole seconds.
    await callRedis('cache set', () => this.connection.set(this.prefix + key, text, 'PX', ttlMs));
  }

  async remove(key: string): Promise<void> {
    await callRedis('cache delete', () => this.connection.del(this.prefix + key));
  }
}
