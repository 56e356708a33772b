import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeCacheContract } from '../../test/contracts/cache-contract.js';
import { fakeClock } from '../../test/helpers/fake-clock.js';
import { createCache } from './cache.js';
import { createMemoryCache, MemoryCacheStorage } from './cache-memory.js';

describeCacheContract('memory', () => {
  const storage = new MemoryCacheStorage();
  return {
    cache: createCache(storage),
    writeRaw: (key, text) => storage.write(key, text, 60_000),
  };
});

describe('memory cache', () => {
  it('holds at most maxEntries, dropping the least recently used', async () => {
    const storage = new MemoryCacheStorage({ maxEntries: 3 });
    const cache = createCache(storage);
    await cache.set('a', 1, 60);
    await cache.set('b', 2, 60);
    await cache.set('c', 3, 60);
    expect(await cache.get('a', z.number())).toBe(1);
    await cache.set('d', 4, 60);

    expect(storage.size).toBe(3);
    expect(await cache.get('b', z.number())).toBeUndefined();
    expect(await cache.get('a', z.number())).toBe(1);
    expect(await cache.get('d', z.number())).toBe(4);
  });

  it('holds at most maxBytes of serialised values, and skips a value larger than that', async () => {
    const storage = new MemoryCacheStorage({ maxBytes: 100 });
    const cache = createCache(storage);
    await cache.set('first', 'x'.repeat(40), 60);
    await cache.set('second', 'y'.repeat(40), 60);
    await cache.set('third', 'z'.repeat(40), 60);
    expect(storage.bytes).toBeLessThanOrEqual(100);
    expect(await cache.get('first', z.string())).toBeUndefined();
    expect(await cache.get('third', z.string())).toHaveLength(40);

    await cache.set('huge', 'h'.repeat(200), 60);
    expect(await cache.get('huge', z.string())).toBeUndefined();
    expect(await cache.get('third', z.string())).toHaveLength(40);
  });

  it('counts bytes, not characters, and releases them on delete and expiry', async () => {
    const clock = fakeClock();
    const storage = new MemoryCacheStorage({ now: clock.now });
    const cache = createCache(storage);
    await cache.set('accented', 'é', 1);
    expect(storage.bytes).toBe(4); // the quotes and two UTF-8 bytes
    await cache.set('plain', 'abc', 10);
    await cache.delete('plain');
    clock.advance(1_000);
    expect(await cache.get('accented', z.string())).toBeUndefined();
    expect(storage.bytes).toBe(0);
    expect(storage.size).toBe(0);
  });

  it('rejects bounds that are not positive integers', () => {
    expect(() => createMemoryCache({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => createMemoryCache({ maxBytes: 1.5 })).toThrow(RangeError);
  });
});
