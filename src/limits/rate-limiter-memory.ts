import type { RateDecision, RateLimiter, RateRule } from './rate-limiter.js';
import { assertValidConsume, assertValidTtl } from './rate-limiter.js';

export interface MemoryRateLimiterOptions {
  /** Milliseconds since the epoch; tests inject a fake clock. */
  now?: () => number;
  /** Keys kept at most; the least recently used is dropped beyond it. Default 100 000. */
  maxKeys?: number;
  /** How often expired keys are swept out, at most. Default one minute. */
  sweepIntervalMs?: number;
}

/**
 * A bucket's state is its debt: how far ahead of now it has been booked, in milliseconds × limit
 * so every step is an integer. Each unit adds `windowMs`; time pays back `limit` per millisecond;
 * a consume is allowed while the debt stays within `limit × windowMs`.
 */
interface Bucket {
  kind: 'bucket';
  limit: number;
  debt: number;
  updatedAt: number;
  expiresAt: number;
}

interface Counter {
  kind: 'counter';
  count: number;
  expiresAt: number;
}

type Entry = Bucket | Counter;

/**
 * The in-process rate limiter for the single-process deployment. Memory is bounded twice over:
 * expired keys are swept, and beyond `maxKeys` the least recently used key is dropped, so an
 * attacker rotating addresses costs at most `maxKeys` small entries. Dropping a live key forgives
 * its debt — the price of the bound; the least recently used key is the one least likely to matter.
 * Each method runs synchronously between awaits, which makes it atomic within the process.
 *
 * @example
 *   const limiter = createMemoryRateLimiter();
 *   const decision = await limiter.consume(`ip:${request.ip}`, { limit: 20, windowMs: 60_000 });
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): MemoryRateLimiter {
  return new MemoryRateLimiter(options);
}

export class MemoryRateLimiter implements RateLimiter {
  // A Map iterates in insertion order; re-inserting a key on every use keeps the least recently
  // used key first, which makes eviction O(1).
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  private readonly maxKeys: number;
  private readonly sweepIntervalMs: number;
  private lastSweep: number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.clock = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new RangeError(`maxKeys must be a positive integer, got ${this.maxKeys}`);
    }
    this.lastSweep = this.now();
  }

  /** Keys currently held, expired or not (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    assertValidConsume(rule, cost);
    const now = this.now();
    this.sweepIfDue(now);
    const { limit, windowMs } = rule;
    const capacity = limit * windowMs;
    const existing = this.read(key, now);
    const debt = existing?.kind === 'bucket' ? currentDebt(existing, now, limit) : 0;
    const debtAfter = debt + cost * windowMs;
    if (debtAfter > capacity) {
      if (existing) this.write(key, existing);
      return {
        allowed: false,
        limit,
        remaining: Math.max(0, Math.floor((capacity - debt) / windowMs)),
        resetMs: Math.ceil(debt / limit),
        retryAfterMs: Math.ceil((debtAfter - capacity) / limit),
      };
    }
    const resetMs = Math.ceil(debtAfter / limit);
    // A read (cost 0) of an untouched key must not allocate: peeks would otherwise grow memory.
    if (debtAfter > 0) {
      this.write(key, {
        kind: 'bucket',
        limit,
        debt: debtAfter,
        updatedAt: now,
        expiresAt: now + resetMs,
      });
    }
    return {
      allowed: true,
      limit,
      remaining: Math.floor((capacity - debtAfter) / windowMs),
      resetMs,
      retryAfterMs: 0,
    };
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertValidTtl(ttlMs);
    const now = this.now();
    this.sweepIfDue(now);
    const existing = this.read(key, now);
    const count = existing?.kind === 'counter' ? existing.count + 1 : 1;
    this.write(key, { kind: 'counter', count, expiresAt: now + ttlMs });
    return count;
  }

  async reset(key: string): Promise<void> {
    this.entries.delete(key);
  }

  private now(): number {
    // Whole milliseconds keep the bucket arithmetic in integers.
    return Math.floor(this.clock());
  }

  private read(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) {
      const leastRecentlyUsed = this.entries.keys().next();
      if (!leastRecentlyUsed.done) this.entries.delete(leastRecentlyUsed.value);
    }
  }

  private sweepIfDue(now: number): void {
    if (now - this.lastSweep < this.sweepIntervalMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}

/** The bucket's debt at `now`, in units of the rule's limit (rescaled if the limit changed). */
function currentDebt(bucket: Bucket, now: number, limit: number): number {
  const elapsed = Math.max(0, now - bucket.updatedAt);
  const debt = Math.max(0, bucket.debt - elapsed * bucket.limit);
  if (bucket.limit === limit) return debt;
  // Rounding up never grants more than the old limit would have.
  return Math.ceil((debt / bucket.limit) * limit);
}
