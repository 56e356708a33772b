import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Cache } from '../../src/cache/cache.js';

/** A cache to test, and a way to put raw text under a key as a broken writer would. */
export interface CacheUnderTest {
  cache: Cache;
  writeRaw(key: string, text: string): Promise<void>;
}

const answer = z.object({ text: z.string(), citations: z.array(z.string()) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The cache port's contract: every adapter (memory, Redis) must pass it unchanged. It runs on
 * real time with TTLs of at most 300 ms where expiry matters.
 *
 * @example
 *   describeCacheContract('memory', () => {
 *     const storage = new MemoryCacheStorage();
 *     return { cache: createCache(storage), writeRaw: (key, text) => storage.write(key, text, 60_000) };
 *   });
 */
export function describeCacheContract(
  name: string,
  create: () => CacheUnderTest | Promise<CacheUnderTest>,
): void {
  describe(`cache contract: ${name}`, () => {
    it('misses, stores JSON, keeps keys apart, overwrites and deletes', async () => {
      const { cache } = await create();
      expect(await cache.get('answer:1', answer)).toBeUndefined();

      const stored = { text: 'Roll back with `keel policy rollback` — ✓', citations: ['a', 'b'] };
      await cache.set('answer:1', stored, 60);
      expect(await cache.get('answer:1', answer)).toEqual(stored);
      expect(await cache.get('answer:2', answer)).toBeUndefined();

      await cache.set('answer:1', { text: 'newer', citations: [] }, 60);
      expect(await cache.get('answer:1', answer)).toEqual({ text: 'newer', citations: [] });

      await cache.delete('answer:1');
      expect(await cache.get('answer:1', answer)).toBeUndefined();
      await cache.delete('never-set');
    });

    it('caches null, numbers and arrays as JSON', async () => {
      const { cache } = await create();
      await cache.set('null', null, 60);
      await cache.set('vector', [0.25, -1, 3e-7], 60);
      expect(await cache.get('null', z.null())).toBeNull();
      expect(await cache.get('vector', z.array(z.number()))).toEqual([0.25, -1, 3e-7]);
    });

    it('forgets a value after its TTL, and an overwrite restarts the TTL', async () => {
      const { cache } = await create();
      await cache.set('brief', 'soon gone', 0.15);
      await cache.set('renewed', 'first', 0.15);
      expect(await cache.get('brief', z.string())).toBe('soon gone');

      await sleep(100);
      await cache.set('renewed', 'second', 0.3);
      await sleep(100);
      expect(await cache.get('brief', z.string())).toBeUndefined();
      expect(await cache.get('renewed', z.string())).toBe('second');
      await sleep(250);
      expect(await cache.get('renewed', z.string())).toBeUndefined();
    });

    it('treats corrupt or mis-shaped cached data as a miss, and getOrSet replaces it', async () => {
      const { cache, writeRaw } = await create();
      await writeRaw('broken-json', '{"text": "cut off');
      await writeRaw('old-shape', JSON.stringify({ body: 'from an older release' }));
      expect(await cache.get('broken-json', answer)).toBeUndefined();
      expect(await cache.get('old-shape', answer)).toBeUndefined();

      const fresh = { text: 'fresh', citations: [] };
      expect(await cache.getOrSet('old-shape', 60, async () => fresh, answer)).toEqual(fresh);
      expect(await cache.get('old-shape', answer)).toEqual(fresh);
    });

    it('computes once for concurrent misses of one key, then serves the cached value', async () => {
      const { cache } = await create();
      let computations = 0;
      const compute = async () => {
        computations++;
        await sleep(30);
        return { text: 'computed', citations: ['doc'] };
      };
      const results = await Promise.all(
        Array.from({ length: 20 }, () => cache.getOrSet('shared', 60, compute, answer)),
      );
      expect(computations).toBe(1);
      expect(new Set(results.map((result) => result.text))).toEqual(new Set(['computed']));

      expect(await cache.getOrSet('shared', 60, compute, answer)).toMatchObject({
        text: 'computed',
      });
      expect(computations).toBe(1);
      await cache.getOrSet('another', 60, compute, answer);
      expect(computations).toBe(2);
    });

    it('caches nothing when compute fails, and every waiting caller sees the failure', async () => {
      const { cache } = await create();
      let attempts = 0;
      const failing = async (): Promise<string> => {
        attempts++;
        await sleep(10);
        throw new Error('provider down');
      };
      const outcomes = await Promise.allSettled([
        cache.getOrSet('flaky', 60, failing, z.string()),
        cache.getOrSet('flaky', 60, failing, z.string()),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      expect(attempts).toBe(1);
      expect(await cache.getOrSet('flaky', 60, async () => 'recovered', z.string())).toBe(
        'recovered',
      );
    });

    it('does not let a compute that was running undo a delete', async () => {
      const { cache } = await create();
      let finish: (value: string) => void = () => {};
      const pending = cache.getOrSet(
        'invalidated',
        60,
        () => new Promise<string>((resolve) => (finish = resolve)),
        z.string(),
      );
      await sleep(20);
      await cache.delete('invalidated');
      finish('computed before the delete');
      expect(await pending).toBe('computed before the delete');
      expect(await cache.get('invalidated', z.string())).toBeUndefined();
    });

    it('rejects a TTL that is not positive and a value JSON cannot hold', async () => {
      const { cache } = await create();
      await expect(cache.set('bad', 'value', 0)).rejects.toThrow(RangeError);
      await expect(cache.set('bad', 'value', Number.NaN)).rejects.toThrow(RangeError);
      await expect(cache.set('bad', undefined, 60)).rejects.toThrow(TypeError);
      expect(await cache.get('bad', z.string())).toBeUndefined();
    });
  });
}
