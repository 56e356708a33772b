import type { z } from 'zod';
import { isKeelError } from '../errors.js';

/**
 * The cache port: JSON values under string keys, each with its own time to live. Every read is
 * checked against a zod schema, so a value written by an older release, or damaged in Redis, is a
 * miss rather than a crash. Adapters: `cache-memory.ts` (bounded LRU, one process) and
 * `cache-redis.ts` (shared by replicas); both pass `test/contracts/cache-contract.ts`. Default
 * lifetimes by kind of value are in `cache-ttl.ts`.
 *
 * @example
 *   const answer = await cache.getOrSet(`answer:${kbVersion}:${hash}`, CACHE_TTL_SECONDS.answers,
 *     () => governor.answer(request), answerSchema);
 */
export interface Cache {
  /** The value, or undefined when absent, expired, or not valid JSON matching `schema`. */
  get<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined>;
  /** Stores `value` as JSON for `ttlSeconds` (fractions allowed), replacing any value and TTL. */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * The cached value, or else `compute()`'s result, stored for `ttlSeconds`. Concurrent calls for
   * one key in this process share a single `compute()` (single flight), so a burst of identical
   * questions costs one model call per replica. If the cache's backend is unavailable the value is
   * computed and returned uncached: an outage costs latency, not answers.
   */
  getOrSet<T>(
    key: string,
    ttlSeconds: number,
    compute: () => Promise<T>,
    schema: z.ZodType<T>,
  ): Promise<T>;
}

/** Where an adapter keeps serialised values; `createCache` adds JSON, schemas and single flight. */
export interface CacheStorage {
  read(key: string): Promise<string | undefined>;
  write(key: string, text: string, ttlMs: number): Promise<void>;
  remove(key: string): Promise<void>;
}

export interface CacheOptions {
  /** Told about backend failures that `getOrSet` absorbed (to log them). */
  onUnavailable?: (error: unknown, key: string) => void;
}

interface Flight {
  promise: Promise<unknown>;
  /** Set when the key is written or deleted meanwhile: the computed value must not overwrite it. */
  superseded: boolean;
}

/**
 * Builds the cache port over a storage adapter.
 *
 * @example
 *   const cache = createCache(new MemoryCacheStorage({ maxEntries: 1_000 }));
 */
export function createCache(storage: CacheStorage, options: CacheOptions = {}): Cache {
  const flights = new Map<string, Flight>();

  const supersede = (key: string) => {
    const flight = flights.get(key);
    if (!flight) return;
    flight.superseded = true;
    flights.delete(key);
  };

  const cache: Cache = {
    async get(key, schema) {
      const text = await storage.read(key);
      return text === undefined ? undefined : decode(text, schema);
    },

    async set(key, value, ttlSeconds) {
      const ttlMs = toTtlMs(ttlSeconds);
      const text = encode(value);
      supersede(key);
      await storage.write(key, text, ttlMs);
    },

    async delete(key) {
      supersede(key);
      await storage.remove(key);
    },

    getOrSet<T>(
      key: string,
      ttlSeconds: number,
      compute: () => Promise<T>,
      schema: z.ZodType<T>,
    ): Promise<T> {
      const pending = flights.get(key);
      if (pending) return pending.promise as Promise<T>;
      const flight: Flight = { promise: Promise.resolve(), superseded: false };
      flight.promise = load().finally(() => {
        if (flights.get(key) === flight) flights.delete(key);
      });
      flights.set(key, flight);
      return flight.promise as Promise<T>;

      async function load(): Promise<T> {
        const ttlMs = toTtlMs(ttlSeconds);
        const cached = await absorbUnavailable(key, () => cache.get(key, schema));
        if (cached !== undefined) return cached;
        const value = await compute();
        const text = encode(value);
        if (!flight.superseded) await absorbUnavailable(key, () => storage.write(key, text, ttlMs));
        return value;
      }
    },
  };

  async function absorbUnavailable<R>(
    key: string,
    operation: () => Promise<R>,
  ): Promise<R | undefined> {
    try {
      return await operation();
    } catch (error) {
      if (!isKeelError(error) || error.code !== 'dependency_unavailable') throw error;
      options.onUnavailable?.(error, key);
      return undefined;
    }
  }

  return cache;
}

function encode(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError(`a ${typeof value} cannot be cached as JSON`);
  return text;
}

function decode<T>(text: string, schema: z.ZodType<T>): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = schema.safeParse(json);
  return result.success ? result.data : undefined;
}

function toTtlMs(ttlSeconds: number): number {
  const ttlMs = Math.ceil(ttlSeconds * 1000);
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new RangeError(`cache ttl must be a positive number of seconds, got ${ttlSeconds}`);
  }
  return ttlMs;
}
