import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../test/helpers/fake-clock.js';
import { createLoginGuard } from './login-guard.js';
import type { RateLimiter } from './rate-limiter.js';
import { createMemoryRateLimiter } from './rate-limiter-memory.js';

function setup(options: Parameters<typeof createLoginGuard>[1] = {}) {
  const { now, advance } = fakeClock();
  const limiter = createMemoryRateLimiter({ now });
  const guard = createLoginGuard(limiter, options);
  const failTimes = async (count: number, ip: string, email: string) => {
    for (let attempt = 0; attempt < count; attempt++) await guard.recordFailure(ip, email);
  };
  return { guard, limiter, advance, failTimes };
}

describe('login guard', () => {
  it('locks an e-mail out after maxFailures, for baseLockoutMs', async () => {
    const { guard, advance, failTimes } = setup();
    await failTimes(4, '10.0.0.1', 'ada@example.com');
    expect(await guard.check('10.0.0.1', 'ada@example.com')).toEqual({ allowed: true });
    await guard.recordFailure('10.0.0.1', 'ada@example.com');
    expect(await guard.check('10.0.0.1', 'ada@example.com')).toEqual({
      allowed: false,
      retryAfterMs: 30_000,
    });
    advance(29_999);
    expect((await guard.check('10.0.0.1', 'ada@example.com')).allowed).toBe(false);
    advance(1);
    expect((await guard.check('10.0.0.1', 'ada@example.com')).allowed).toBe(true);
  });

  it('doubles the lockout with each further failure, up to maxLockoutMs', async () => {
    const { guard, advance, failTimes } = setup();
    await failTimes(4, '10.0.0.1', 'ada@example.com');
    const lockouts: number[] = [];
    for (let failure = 0; failure < 8; failure++) {
      await guard.recordFailure('10.0.0.1', 'ada@example.com');
      const gate = await guard.check('10.0.0.1', 'ada@example.com');
      if (gate.allowed) throw new Error('expected a lockout');
      lockouts.push(gate.retryAfterMs);
      advance(gate.retryAfterMs);
    }
    expect(lockouts).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000,
    ]);
  });

  it('clears the e-mail’s failures on success', async () => {
    const { guard, failTimes } = setup();
    await failTimes(4, '10.0.0.1', 'ada@example.com');
    await guard.recordSuccess('10.0.0.1', 'ada@example.com');
    await failTimes(4, '10.0.0.1', 'ada@example.com');
    expect((await guard.check('10.0.0.1', 'ada@example.com')).allowed).toBe(true);
  });

  it('starts again from the base lockout after a success', async () => {
    const { guard, advance, failTimes } = setup();
    await failTimes(6, '10.0.0.1', 'ada@example.com');
    advance(60_000);
    await guard.recordSuccess('10.0.0.1', 'ada@example.com');
    await failTimes(5, '10.0.0.2', 'ada@example.com');
    expect(await guard.check('10.0.0.2', 'ada@example.com')).toEqual({
      allowed: false,
      retryAfterMs: 30_000,
    });
  });

  it('treats an e-mail the same however it is cased or padded', async () => {
    const { guard, failTimes } = setup();
    await failTimes(5, '10.0.0.1', ' Ada@Example.COM ');
    expect((await guard.check('10.0.0.9', 'ada@example.com')).allowed).toBe(false);
  });

  it('behaves the same for an account that exists and one that does not', async () => {
    // The guard is never told whether an account exists; this pins that a known address (one that
    // has signed in before) and an unknown one go through identical states.
    const { guard } = setup();
    await guard.recordSuccess('10.0.0.1', 'known@example.com');
    const trace = async (ip: string, email: string) => {
      const states = [];
      for (let attempt = 0; attempt < 7; attempt++) {
        states.push(await guard.check(ip, email));
        await guard.recordFailure(ip, email);
      }
      return states;
    };
    const known = await trace('10.0.0.1', 'known@example.com');
    const unknown = await trace('10.0.0.2', 'nobody@example.com');
    expect(unknown).toEqual(known);
    expect(known.at(-1)).toEqual({ allowed: false, retryAfterMs: 30_000 });
  });

  it('slows one IP spraying many e-mails, without locking those accounts elsewhere', async () => {
    const { guard } = setup();
    for (let account = 0; account < 20; account++) {
      await guard.recordFailure('203.0.113.7', `user${account}@example.com`);
    }
    expect(await guard.check('203.0.113.7', 'someone-new@example.com')).toEqual({
      allowed: false,
      retryAfterMs: 30_000,
    });
    expect((await guard.check('198.51.100.1', 'user0@example.com')).allowed).toBe(true);
  });

  it('keeps an IP lockout when one of its accounts signs in', async () => {
    const { guard } = setup({ maxFailuresPerIp: 3 });
    for (const email of ['a@x.io', 'b@x.io', 'c@x.io']) {
      await guard.recordFailure('203.0.113.7', email);
    }
    await guard.recordSuccess('203.0.113.7', 'mine@x.io');
    expect((await guard.check('203.0.113.7', 'd@x.io')).allowed).toBe(false);
  });

  it('slows many IPs attacking one account', async () => {
    const { guard } = setup();
    for (let address = 1; address <= 5; address++) {
      await guard.recordFailure(`192.0.2.${address}`, 'ada@example.com');
    }
    expect((await guard.check('192.0.2.200', 'ada@example.com')).allowed).toBe(false);
  });

  it('keeps no e-mail address or IP in the limiter’s keys', async () => {
    const { limiter } = setup();
    const keys: string[] = [];
    const spy: RateLimiter = {
      consume: (key, rule, cost) => (keys.push(key), limiter.consume(key, rule, cost)),
      increment: (key, ttlMs) => (keys.push(key), limiter.increment(key, ttlMs)),
      reset: (key) => (keys.push(key), limiter.reset(key)),
    };
    const spied = createLoginGuard(spy, { maxFailures: 1 });
    await spied.recordFailure('10.0.0.1', 'ada@example.com');
    await spied.check('10.0.0.1', 'ada@example.com');
    await spied.recordSuccess('10.0.0.1', 'ada@example.com');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toMatch(/ada|example|10\.0\.0\.1/);
  });
});
