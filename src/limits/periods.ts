/**
 * Calendar periods for quotas, always in UTC so every replica and every time zone agrees on when
 * a day or month starts. A period is the half-open interval [start, end): `end` is the instant the
 * quota resets and is itself the start of the next period.
 */
export type CalendarPeriod = 'day' | 'month';

/**
 * The first instant of the UTC day or month containing `now`.
 *
 * @example
 *   periodStart(new Date('2024-02-29T23:59:59Z'), 'month'); // 2024-02-01T00:00:00.000Z
 */
export function periodStart(now: Date, period: CalendarPeriod): Date {
  if (Number.isNaN(now.getTime())) throw new RangeError('periodStart needs a valid date');
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return period === 'day'
    ? new Date(Date.UTC(year, month, now.getUTCDate()))
    : new Date(Date.UTC(year, month, 1));
}

/**
 * The instant the period containing `now` ends (exclusive) — when its quota resets.
 *
 * @example
 *   periodEnd(new Date('2024-12-31T12:00:00Z'), 'month'); // 2025-01-01T00:00:00.000Z
 */
export function periodEnd(now: Date, period: CalendarPeriod): Date {
  const start = periodStart(now, period);
  // Date.UTC rolls day 32 or month 12 over into the next month or year, which handles month
  // lengths and leap years without a table.
  return period === 'day'
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 1))
    : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}
