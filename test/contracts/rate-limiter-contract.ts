import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../src/limits/rate-limiter.js';

const minute = { limit: 5, windowMs: 60_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The rate-limiter port's contract: every adapter (in-process, Redis) must pass it unchanged. It
 * runs on real time — an adapter such as Redis keeps its own clock — with windows of at most
 * 200 ms where time has to pass.
 *
 * @example
 *   describeRateLimiterContract('memory', () => createMemoryRateLimiter());
 */
export function describeRateLimiterContract(
  name: string,
  create: () => RateLimiter | Promise<RateLimiter>,
): void {
  describe(`rate limiter contract: ${name}`, () => {
    it('allows up to the limit, then refuses and says when to retry', async () => {
      const limiter = await create();
      const decisions = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        decisions.push(await limiter.consume('client', minute));
      }
      expect(decisions.map((decision) => decision.allowed)).toEqual([
        true,
        true,
        true,
        true,
        true,
        false,
      ]);
      expect(decisions.map((decision) => decision.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      const refused = decisions[5]!;
      expect(refused.limit).toBe(5);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
      expect(refused.resetMs).toBeGreaterThanOrEqual(refused.retryAfterMs);
      expect(decisions[0]!.retryAfterMs).toBe(0);
    });

    it('lets exactly N of 50 concurrent consumes through', async () => {
      const limiter = await create();
      const rule = { limit: 7, windowMs: 60_000 };
      const decisions = await Promise.all(
        Array.from({ length: 50 }, () => limiter.consume('burst', rule)),
      );
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(7);
    });

    it('frees capacity as the window passes', async () => {
      const limiter = await create();
      const rule = { limit: 2, windowMs: 200 };
      await limiter.consume('slow', rule);
      await limiter.consume('slow', rule);
      const refused = await limiter.consume('slow', rule);
      expect(refused.allowed).toBe(false);

      await sleep(refused.retryAfterMs + 10);
      expect((await limiter.consume('slow', rule)).allowed).toBe(true);

      await sleep(210);
      const afterWindow = [
        await limiter.consume('slow', rule),
        await limiter.consume('slow', rule),
      ];
      expect(afterWindow.map((decision) => decision.allowed)).toEqual([true, true]);
      expect((await limiter.consume('slow', rule)).allowed).toBe(false);
    });

    it('keeps keys independent', async () => {
      const limiter = await create();
      const rule = { limit: 1, windowMs: 60_000 };
      expect((await limiter.consume('alice', rule)).allowed).toBe(true);
      expect((await limiter.consume('alice', rule)).allowed).toBe(false);
      expect((await limiter.consume('bob', rule)).allowed).toBe(true);
    });

    it('forgets a key on reset', async () => {
      const limiter = await create();
      const rule = { limit: 1, windowMs: 60_000 };
      await limiter.consume('again', rule);
      expect((await limiter.consume('again', rule)).allowed).toBe(false);
      await limiter.reset('again');
      expect(await limiter.consume('again', rule)).toMatchObject({ allowed: true, remaining: 0 });
      await limiter.reset('never-used');
    });

    it('charges a cost all or nothing', async () => {
      const limiter = await create();
      const rule = { limit: 10, windowMs: 60_000 };
      expect(await limiter.consume('tokens', rule, 4)).toMatchObject({
        allowed: true,
        remaining: 6,
      });
      expect(await limiter.consume('tokens', rule, 4)).toMatchObject({
        allowed: true,
        remaining: 2,
      });
      const refused = await limiter.consume('tokens', rule, 4);
      expect(refused).toMatchObject({ allowed: false, remaining: 2 });
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(await limiter.consume('tokens', rule, 2)).toMatchObject({
        allowed: true,
        remaining: 0,
      });
    });

    it('reads without consuming at cost 0 and rejects a cost above the limit', async () => {
      const limiter = await create();
      const rule = { limit: 3, windowMs: 60_000 };
      expect(await limiter.consume('peek', rule, 0)).toMatchObject({
        allowed: true,
        remaining: 3,
        resetMs: 0,
      });
      await limiter.consume('peek', rule);
      const peeked = await limiter.consume('peek', rule, 0);
      expect(peeked.remaining).toBe(2);
      expect(peeked.resetMs).toBeGreaterThan(0);
      expect((await limiter.consume('peek', rule, 0)).remaining).toBe(2);
      await expect(limiter.consume('peek', rule, 4)).rejects.toThrow(RangeError);
      await expect(limiter.consume('peek', { limit: 0, windowMs: 1000 })).rejects.toThrow(
        RangeError,
      );
    });

    it('counts atomically, forgets a counter after its time to live, and resets it', async () => {
      const limiter = await create();
      const counts = await Promise.all(
        Array.from({ length: 50 }, () => limiter.increment('failures', 60_000)),
      );
      expect([...counts].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      expect(await limiter.increment('other-failures', 60_000)).toBe(1);
      await limiter.reset('failures');
      expect(await limiter.increment('failures', 60_000)).toBe(1);

      // Each increment restarts the time to live: 240 ms after the first, 120 ms after the latest.
      expect(await limiter.increment('brief', 200)).toBe(1);
      await sleep(120);
      expect(await limiter.increment('brief', 200)).toBe(2);
      await sleep(120);
      expect(await limiter.increment('brief', 200)).toBe(3);
      await sleep(220);
      expect(await limiter.increment('brief', 200)).toBe(1);
    });
  });
}
