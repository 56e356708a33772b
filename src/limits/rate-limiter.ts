/**
 * The rate-limit port. One small interface; the in-process adapter lives in
 * `rate-limiter-memory.ts` and a Redis adapter drops in beside it for multi-replica deployments.
 * Both pass `test/contracts/rate-limiter-contract.ts`.
 *
 * Algorithm: GCRA (the generic cell rate algorithm, a token bucket written as one number per key).
 * A rule `{ limit: N, windowMs: W }` allows a burst of N, then refills one unit every W / N ms, so
 * after W ms of quiet the full N is available again. Chosen over the alternatives because:
 * - it is exact: from a fresh key exactly N consumes succeed and the N+1th is refused, with no
 *   double burst at a window boundary (fixed windows allow 2N) and no estimate (the sliding-window
 *   counter interpolates);
 * - its state is constant per key (how far ahead of "now" the key has been booked), whereas a
 *   sliding-window log keeps N timestamps per key — memory an attacker controls through N and the
 *   number of keys;
 * - a Redis adapter is one short script over one key, atomic across replicas.
 * Adapters do the arithmetic in integers (milliseconds × limit) so no floating-point rounding can
 * let the N+1th request through or refuse the Nth.
 */

/** Allow `limit` units per `windowMs` milliseconds, in a burst or spread out. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Units that could still be consumed right now (after this consume, when it was allowed). */
  remaining: number;
  /** Milliseconds until the key is back to its full `limit`; 0 when it is already full. */
  resetMs: number;
  /** Milliseconds until a consume of the same cost would be allowed; 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Rate limits keyed by any string (`ip:…`, `user:…`, `api-key:…`). Every method is atomic per
 * key: concurrent consumes never overspend.
 *
 * @example
 *   const decision = await limiter.consume(`user:${user.id}:chat`, { limit: 30, windowMs: 60_000 });
 *   reply.headers(rateLimitHeaders(decision));
 *   if (!decision.allowed) throw RateLimitedError.fromDecision('user', decision);
 */
export interface RateLimiter {
  /**
   * Takes `cost` units (default 1) if they are all available, otherwise takes nothing. A cost of 0
   * takes nothing and reads the key's state: `remaining` and `resetMs` as they are now. A key is
   * meant to be used with one `limit`; its `windowMs` may vary between calls.
   * Throws a RangeError for a rule that is not positive integers or a cost above the limit (it
   * could never be allowed, so it is the caller's bug, not a client's).
   */
  consume(key: string, rule: RateRule, cost?: number): Promise<RateDecision>;
  /**
   * Adds one to a counter and returns the new count. The counter is forgotten `ttlMs` after its
   * latest increment (Redis: INCR + PEXPIRE). Added for the login guard, which counts failures
   * to grow its lockouts — a count the token bucket above cannot express.
   */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Forgets the key, whether it holds a bucket or a counter. */
  reset(key: string): Promise<void>;
}

/** Throws unless the rule and cost can be computed exactly; adapters call it before any work. */
export function assertValidConsume(rule: RateRule, cost: number): void {
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) {
    throw new RangeError(`rate limit must be a positive integer, got ${rule.limit}`);
  }
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1) {
    throw new RangeError(`rate window must be a positive integer of ms, got ${rule.windowMs}`);
  }
  if (!Number.isSafeInteger(rule.limit * rule.windowMs)) {
    throw new RangeError('rate limit × window is too large to count exactly');
  }
  if (!Number.isSafeInteger(cost) || cost < 0 || cost > rule.limit) {
    throw new RangeError(`rate cost must be an integer from 0 to the limit, got ${cost}`);
  }
}

/** Throws unless a counter's time to live is a positive integer of milliseconds. */
export function assertValidTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new RangeError(`counter ttl must be a positive integer of ms, got ${ttlMs}`);
  }
}

/**
 * The IETF draft headers (`draft-ietf-httpapi-ratelimit-headers`, the three-field form) for a
 * decision. Seconds are rounded up so a client that waits that long is never refused again for
 * the same reason; `RateLimit-Reset` is 0 only when the key is full. `Retry-After` is sent only
 * with a refusal.
 *
 * @example
 *   rateLimitHeaders(decision); // { 'RateLimit-Limit': '30', 'RateLimit-Remaining': '29', 'RateLimit-Reset': '2' }
 */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(Math.max(0, decision.remaining)),
    'RateLimit-Reset': String(Math.ceil(Math.max(0, decision.resetMs) / 1000)),
  };
  if (!decision.allowed) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
  return headers;
}
