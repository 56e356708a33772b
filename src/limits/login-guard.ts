import { createHash } from 'node:crypto';
import type { RateLimiter } from './rate-limiter.js';

export interface LoginGuardOptions {
  /** Failed sign-ins for one e-mail address before it is locked out. Default 5. */
  maxFailures?: number;
  /**
   * Failed sign-ins from one IP address (any e-mail) before it is locked out. Default four times
   * `maxFailures`: one office behind a NAT shares an address, an attacker spraying accounts does
   * too, and the first should not be locked as fast as a single account.
   */
  maxFailuresPerIp?: number;
  /** The first lockout; each further failure doubles it. Default 30 s. */
  baseLockoutMs?: number;
  /** The longest lockout. Default 15 min. */
  maxLockoutMs?: number;
  /** A quiet time after which failures are forgotten. Default 24 h. */
  forgetFailuresAfterMs?: number;
}

export type LoginCheck = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface LoginGuard {
  /** Whether a sign-in from this IP for this e-mail may be attempted now. */
  check(ip: string, email: string): Promise<LoginCheck>;
  /** A sign-in failed — wrong password or unknown e-mail alike. */
  recordFailure(ip: string, email: string): Promise<void>;
  /** A sign-in succeeded: the e-mail's failures and lockout are forgotten. */
  recordSuccess(ip: string, email: string): Promise<void>;
}

interface Subject {
  failuresKey: string;
  lockoutKey: string;
  maxFailures: number;
}

/**
 * Brute-force protection for sign-in, counted per IP address and per e-mail address: an attack
 * on one account from many addresses and one address spraying many accounts are both slowed.
 * After `maxFailures` the subject is locked for `baseLockoutMs`, and every further failure
 * doubles the lockout up to `maxLockoutMs`.
 *
 * The guard never learns whether an account exists, so it behaves identically for unknown
 * e-mails — provided the caller calls `check` before looking the user up and `recordFailure` for
 * an unknown e-mail exactly as for a wrong password. A locked attempt is refused before the
 * password is verified and is not itself a failure.
 *
 * A success forgets only the e-mail's failures: clearing the IP's too would let an attacker reset
 * their address's count by signing in to an account of their own between guesses.
 *
 * Built on the RateLimiter port only, so with the Redis adapter lockouts hold across replicas.
 *
 * @example
 *   const guard = createLoginGuard(limiter);
 *   const gate = await guard.check(request.ip, body.email);
 *   if (!gate.allowed) throw RateLimitedError.fromDecision('login', { limit: 1, retryAfterMs: gate.retryAfterMs });
 *   if (!(await passwordMatches(body))) { await guard.recordFailure(request.ip, body.email); throw unauthorized(); }
 *   await guard.recordSuccess(request.ip, body.email);
 */
export function createLoginGuard(
  limiter: RateLimiter,
  options: LoginGuardOptions = {},
): LoginGuard {
  const maxFailures = positiveInteger('maxFailures', options.maxFailures ?? 5);
  const maxFailuresPerIp = positiveInteger(
    'maxFailuresPerIp',
    options.maxFailuresPerIp ?? maxFailures * 4,
  );
  const baseLockoutMs = positiveInteger('baseLockoutMs', options.baseLockoutMs ?? 30_000);
  const maxLockoutMs = positiveInteger('maxLockoutMs', options.maxLockoutMs ?? 15 * 60_000);
  const forgetAfterMs = positiveInteger(
    'forgetFailuresAfterMs',
    options.forgetFailuresAfterMs ?? 24 * 60 * 60_000,
  );
  if (baseLockoutMs > maxLockoutMs) throw new RangeError('baseLockoutMs exceeds maxLockoutMs');

  const byEmail = (email: string): Subject =>
    subject('email', email.trim().toLowerCase(), maxFailures);
  const subjects = (ip: string, email: string): Subject[] => [
    subject('ip', ip, maxFailuresPerIp),
    byEmail(email),
  ];

  const lockoutFor = (failures: number, threshold: number): number =>
    Math.min(maxLockoutMs, baseLockoutMs * 2 ** (failures - threshold));

  /** A lockout is a one-unit bucket whose window is the lockout: consuming it locks the subject. */
  const remainingLockout = async ({ lockoutKey }: Subject): Promise<number> =>
    (await limiter.consume(lockoutKey, { limit: 1, windowMs: maxLockoutMs }, 0)).resetMs;

  return {
    async check(ip, email) {
      const remaining = await Promise.all(subjects(ip, email).map(remainingLockout));
      const retryAfterMs = Math.max(...remaining);
      return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : { allowed: true };
    },

    async recordFailure(ip, email) {
      await Promise.all(
        subjects(ip, email).map(async (target) => {
          const failures = await limiter.increment(target.failuresKey, forgetAfterMs);
          if (failures < target.maxFailures) return;
          // Refused while a lockout is still running (concurrent failures): the running one stands.
          await limiter.consume(target.lockoutKey, {
            limit: 1,
            windowMs: lockoutFor(failures, target.maxFailures),
          });
        }),
      );
    },

    async recordSuccess(_ip, email) {
      const { failuresKey, lockoutKey } = byEmail(email);
      await Promise.all([limiter.reset(failuresKey), limiter.reset(lockoutKey)]);
    },
  };
}

/**
 * Keys hold a digest, not the address: the limiter's store (Redis in a cluster) never holds
 * e-mail addresses in clear, and a megabyte-long "e-mail" costs no more memory than a short one.
 */
function subject(kind: 'ip' | 'email', value: string, maxFailures: number): Subject {
  const digest = createHash('sha256').update(value).digest('base64url');
  return {
    failuresKey: `login-failures:${kind}:${digest}`,
    lockoutKey: `login-lockout:${kind}:${digest}`,
    maxFailures,
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
