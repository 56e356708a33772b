import type { Metrics } from '../telemetry/metrics.js';
import type { Cache } from './cache.js';

/** The kind of value a key holds (`answer:…` → `answer`): a label with a few fixed values. */
function kindOf(key: string): string {
  const prefix = key.split(':', 1)[0] ?? '';
  return /^[a-z][a-z-]{0,23}$/.test(prefix) && prefix !== key ? prefix : 'other';
}

/**
 * The cache with its lookups counted as hits and misses per kind of value (`keel_cache_lookups_total`).
 * A backend failure is counted as neither: it is logged where it is absorbed.
 *
 * @example
 *   const cache = countLookups(createMemoryCache(), metrics);
 */
export function countLookups(cache: Cache, metrics: Pick<Metrics, 'cacheLookups'>): Cache {
  const count = (key: string, hit: boolean) =>
    metrics.cacheLookups.inc({ cache: kindOf(key), result: hit ? 'hit' : 'miss' });
  return {
    async get(key, schema) {
      const value = await cache.get(key, schema);
      count(key, value !== undefined);
      return value;
    },
    set: (key, value, ttlSeconds) => cache.set(key, value, ttlSeconds),
    delete: (key) => cache.delete(key),
    getOrSet(key, ttlSeconds, compute, schema) {
      let computed = false;
      const value = cache.getOrSet(
        key,
        ttlSeconds,
        () => {
          computed = true;
          return compute();
        },
        schema,
      );
      return value.then((result) => {
        count(key, !computed);
        return result;
      });
    },
  };
}
