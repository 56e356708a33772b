import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import {
  type RedisConnectionOptions,
  closeRedisConnection,
  createRedisConnection,
  waitUntilReady,
} from '../../src/redis/connection.js';

/** The Redis the integration tests run against (`npm run services` starts one). */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Nothing listens on port 1: a connection there stays down and keeps retrying in the background. */
export const UNREACHABLE_REDIS_URL = 'redis://127.0.0.1:1';

export interface RedisTestKeys {
  /**
   * `keel-test:<area>:<random>:`. Every key the test file writes starts with it, so parallel
   * test files never meet and the cleanup deletes only what this file wrote.
   */
  readonly prefix: string;
  /** The connection opened before the file's tests: for the adapters under test and for looking at keys. */
  readonly redis: Redis;
  /** One more connection, as another replica has its own. */
  connect(options?: RedisConnectionOptions): Promise<Redis>;
  /** A connection to a Redis that never answers. */
  unreachable(): Redis;
  /** Deletes the keys that start with `prefix` (by default the file's prefix). */
  deleteKeys(prefix?: string): Promise<void>;
}

/**
 * The Redis side of an integration test file: a connection opened in `beforeAll`, and after the
 * file's tests every key under the file's prefix deleted and every connection it handed out closed.
 * Call it at the top level of the file.
 *
 * @example
 *   const keys = useRedisTestKeys('cache');
 *   describeCacheContract('redis', () => ({ cache: createRedisCache({ connection: keys.redis, prefix: keys.prefix }) }));
 */
export function useRedisTestKeys(area: string): RedisTestKeys {
  const prefix = `keel-test:${area}:${randomUUID()}:`;
  const connections: Redis[] = [];
  let shared: Redis | undefined;
  const track = (connection: Redis) => {
    connections.push(connection);
    return connection;
  };

  const keys: RedisTestKeys = {
    prefix,
    get redis() {
      if (!shared) throw new Error('the Redis test connection opens in beforeAll');
      return shared;
    },
    async connect(options) {
      const connection = track(createRedisConnection(TEST_REDIS_URL, options));
      await waitUntilReady(connection).catch(() => {
        throw new Error(
          `Redis is not reachable at ${TEST_REDIS_URL}; start it with \`npm run services\``,
        );
      });
      return connection;
    },
    unreachable: () => track(createRedisConnection(UNREACHABLE_REDIS_URL)),
    async deleteKeys(keyPrefix = prefix) {
      const redis = keys.redis;
      for await (const found of redis.scanStream({ match: `${keyPrefix}*`, count: 1_000 })) {
        if ((found as string[]).length > 0) await redis.del(...(found as string[]));
      }
    },
  };

  beforeAll(async () => {
    shared = await keys.connect();
  });
  afterAll(async () => {
    if (shared) await keys.deleteKeys();
    await Promise.all(connections.map(closeRedisConnection));
  });
  return keys;
}
