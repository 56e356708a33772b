import { KeelError } from '../errors.js';
import type { CalendarPeriod } from './periods.js';

/**
 * A rate limit refused the request. Retryable: the same request succeeds once `retryAfterSeconds`
 * have passed, which the API also sends as `Retry-After`.
 *
 * @example
 *   if (!decision.allowed) throw RateLimitedError.fromDecision('user', decision);
 */
export class RateLimitedError extends KeelError {
  constructor(details: { scope: string; limit: number; retryAfterSeconds: number }) {
    super(
      'rate_limited',
      `Too many requests; try again in ${details.retryAfterSeconds} s.`,
      429,
      details,
      true,
    );
  }

  /** `scope` names what was limited (`ip`, `user`, `api-key`, `login`) so clients can tell them apart. */
  static fromDecision(
    scope: string,
    decision: { limit: number; retryAfterMs: number },
  ): RateLimitedError {
    return new RateLimitedError({
      scope,
      limit: decision.limit,
      // Never 0: a client told to retry after 0 s would hammer the server at once.
      retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
    });
  }
}

export type QuotaScope = 'user' | 'workspace';
export type QuotaMetric = 'calls' | 'tokens' | 'cost';

export interface QuotaExceededDetails {
  scope: QuotaScope;
  period: CalendarPeriod;
  metric: QuotaMetric;
  limit: number;
  used: number;
  /** ISO time at which the period ends and the quota is whole again. */
  resetsAt: string;
}

const PERIOD_ADJECTIVE: Record<CalendarPeriod, string> = { day: 'daily', month: 'monthly' };
const METRIC_NOUN: Record<QuotaMetric, string> = { calls: 'call', tokens: 'token', cost: 'cost' };

/**
 * A daily or monthly quota is used up. A 429 like a rate limit, but not retryable: retrying before
 * `resetsAt` cannot succeed, so clients must not loop on it.
 *
 * @example
 *   throw new QuotaExceededError({ scope: 'workspace', period: 'month', metric: 'tokens',
 *     limit: 1_000_000, used: 1_000_212, resetsAt: periodEnd(now, 'month').toISOString() });
 */
export class QuotaExceededError extends KeelError {
  constructor(details: QuotaExceededDetails) {
    super(
      'quota_exceeded',
      `The ${PERIOD_ADJECTIVE[details.period]} ${METRIC_NOUN[details.metric]} quota of this ${details.scope} is used up; it resets at ${details.resetsAt}.`,
      429,
      { ...details },
      false,
    );
  }
}
