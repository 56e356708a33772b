import { describe, expect, it } from 'vitest';
import { describeRateLimiterContract } from '../../test/contracts/rate-limiter-contract.js';
import { fakeClock } from '../../test/helpers/fake-clock.js';
import { RateLimitedError } from './errors.js';
import { rateLimitHeaders } from './rate-limiter.js';
import { createMemoryRateLimiter } from './rate-limiter-memory.js';

describeRateLimiterContract('memory', () => createMemoryRateLimiter());

describe('memory rate limiter', () => {
  it('refills one unit every window / limit, to the millisecond', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const rule = { limit: 3, windowMs: 300 };
    for (let attempt = 0; attempt < 3; attempt++) await limiter.consume('key', rule);
    expect(await limiter.consume('key', rule)).toMatchObject({
      allowed: false,
      retryAfterMs: 100,
      resetMs: 300,
    });
    clock.advance(99);
    expect((await limiter.consume('key', rule)).allowed).toBe(false);
    clock.advance(1);
    expect(await limiter.consume('key', rule)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('stays exact when the window does not divide by the limit', async () => {
    const limiter = createMemoryRateLimiter({ now: fakeClock().now });
    const rule = { limit: 7, windowMs: 1_000 };
    const decisions = await Promise.all(
      Array.from({ length: 8 }, () => limiter.consume('odd', rule)),
    );
    expect(decisions.map((decision) => decision.allowed)).toEqual([
      ...Array<boolean>(7).fill(true),
      false,
    ]);
    expect(decisions[7]!.retryAfterMs).toBe(143);
  });

  it('holds at most maxKeys, dropping the least recently used', async () => {
    const limiter = createMemoryRateLimiter({ now: fakeClock().now, maxKeys: 100 });
    const rule = { limit: 1, windowMs: 60_000 };
    await limiter.consume('victim', rule);
    for (let address = 0; address < 1_000; address++) {
      await limiter.consume(`ip:${address}`, rule);
      // The victim keeps being used, so rotating addresses never evicts it.
      if (address % 50 === 0) await limiter.consume('victim', rule);
    }
    expect(limiter.size).toBe(100);
    expect((await limiter.consume('victim', rule)).allowed).toBe(false);
    expect((await limiter.consume('ip:0', rule)).allowed).toBe(true);
  });

  it('sweeps expired keys', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now, sweepIntervalMs: 1_000 });
    for (let address = 0; address < 10; address++) {
      await limiter.consume(`ip:${address}`, { limit: 5, windowMs: 500 });
    }
    await limiter.increment('counter', 5_000);
    expect(limiter.size).toBe(11);
    clock.advance(1_000);
    await limiter.consume('fresh', { limit: 5, windowMs: 500 }, 0);
    expect(limiter.size).toBe(1);
  });

  it('reads a fresh key at cost 0 without storing it', async () => {
    const limiter = createMemoryRateLimiter({ now: fakeClock().now });
    await limiter.consume('peek', { limit: 5, windowMs: 1_000 }, 0);
    expect(limiter.size).toBe(0);
  });
});

describe('rateLimitHeaders', () => {
  it('sends limit, remaining and reset in whole seconds, rounded up', () => {
    expect(
      rateLimitHeaders({
        allowed: true,
        limit: 30,
        remaining: 29,
        resetMs: 2_000,
        retryAfterMs: 0,
      }),
    ).toEqual({ 'RateLimit-Limit': '30', 'RateLimit-Remaining': '29', 'RateLimit-Reset': '2' });
    expect(
      rateLimitHeaders({ allowed: true, limit: 30, remaining: 29, resetMs: 1, retryAfterMs: 0 }),
    ).toMatchObject({ 'RateLimit-Reset': '1' });
  });

  it('adds Retry-After, at least one second, only to a refusal', () => {
    const headers = rateLimitHeaders({
      allowed: false,
      limit: 5,
      remaining: 0,
      resetMs: 60_000,
      retryAfterMs: 120,
    });
    expect(headers).toMatchObject({ 'Retry-After': '1', 'RateLimit-Reset': '60' });
  });
});

describe('RateLimitedError', () => {
  it('is a 429 naming the scope, the limit and whole seconds to wait', () => {
    const error = RateLimitedError.fromDecision('user', { limit: 30, retryAfterMs: 2_001 });
    expect(error).toMatchObject({
      status: 429,
      code: 'rate_limited',
      retryable: true,
      details: { scope: 'user', limit: 30, retryAfterSeconds: 3 },
    });
  });
});
