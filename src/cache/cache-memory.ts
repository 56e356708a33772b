import type { Cache, CacheOptions, CacheStorage } from './cache.js';
import { createCache } from './cache.js';

export interface MemoryCacheOptions extends CacheOptions {
  /** Entries kept at most; the least recently used goes first. Default 10 000. */
  maxEntries?: number;
  /** UTF-8 bytes of serialised values kept at most. Default 64 MiB. */
  maxBytes?: number;
  /** Milliseconds since the epoch; tests inject a fake clock. */
  now?: () => number;
}

interface Entry {
  text: string;
  bytes: number;
  expiresAt: number;
}

/**
 * The single-process cache: an LRU bounded by entry count and by bytes, since one cached
 * embedding or answer can be thousands of times larger than another.
 *
 * @example
 *   const cache = createMemoryCache({ maxEntries: 5_000 });
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  return createCache(new MemoryCacheStorage(options), options);
}

export class MemoryCacheStorage implements CacheStorage {
  // A Map iterates in insertion order; re-inserting on every use keeps the least recently used
  // entry first, which makes eviction O(1).
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly clock: () => number;
  private totalBytes = 0;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.clock = options.now ?? Date.now;
    for (const [name, value] of [
      ['maxEntries', this.maxEntries],
      ['maxBytes', this.maxBytes],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
      }
    }
  }

  /** Entries currently held, expired or not (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  async read(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.drop(key);
    if (entry.expiresAt <= this.clock()) return undefined;
    this.entries.set(key, entry);
    this.totalBytes += entry.bytes;
    return entry.text;
  }

  async write(key: string, text: string, ttlMs: number): Promise<void> {
    this.drop(key);
    const bytes = Buffer.byteLength(text);
    // A value larger than the whole cache would evict everything and still not fit.
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { text, bytes, expiresAt: this.clock() + ttlMs });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const leastRecentlyUsed = this.entries.keys().next();
      if (leastRecentlyUsed.done) break;
      this.drop(leastRecentlyUsed.value);
    }
  }

  async remove(key: string): Promise<void> {
    this.drop(key);
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }
}
