import { describe, expect, it } from 'vitest';
import { QuotaExceededError } from './errors.js';
import { periodEnd, periodStart } from './periods.js';
import type { CalendarPeriod } from './periods.js';

const bounds = (iso: string, period: CalendarPeriod) => [
  periodStart(new Date(iso), period).toISOString(),
  periodEnd(new Date(iso), period).toISOString(),
];

describe('calendar periods in UTC', () => {
  it('spans one UTC day', () => {
    expect(bounds('2025-06-15T13:45:10.123Z', 'day')).toEqual([
      '2025-06-15T00:00:00.000Z',
      '2025-06-16T00:00:00.000Z',
    ]);
  });

  it('uses UTC, not the offset the time was written in', () => {
    expect(bounds('2025-06-15T23:30:00-05:00', 'day')).toEqual([
      '2025-06-16T00:00:00.000Z',
      '2025-06-17T00:00:00.000Z',
    ]);
  });

  it('puts the instant a period ends into the next one', () => {
    expect(bounds('2025-07-01T00:00:00.000Z', 'month')).toEqual([
      '2025-07-01T00:00:00.000Z',
      '2025-08-01T00:00:00.000Z',
    ]);
    expect(bounds('2025-06-30T23:59:59.999Z', 'day')[1]).toBe('2025-07-01T00:00:00.000Z');
  });

  it('ends months of 31, 30 and 28 days on the right day, and rolls over the year', () => {
    expect(bounds('2025-01-31T12:00:00Z', 'month')[1]).toBe('2025-02-01T00:00:00.000Z');
    expect(bounds('2025-01-31T12:00:00Z', 'day')[1]).toBe('2025-02-01T00:00:00.000Z');
    expect(bounds('2025-04-30T12:00:00Z', 'day')[1]).toBe('2025-05-01T00:00:00.000Z');
    expect(bounds('2025-02-28T12:00:00Z', 'day')[1]).toBe('2025-03-01T00:00:00.000Z');
    expect(bounds('2025-12-31T23:59:59Z', 'month')).toEqual([
      '2025-12-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
    expect(bounds('2025-12-31T23:59:59Z', 'day')[1]).toBe('2026-01-01T00:00:00.000Z');
  });

  it('knows leap years, including the century rules', () => {
    expect(bounds('2024-02-28T12:00:00Z', 'day')[1]).toBe('2024-02-29T00:00:00.000Z');
    expect(bounds('2024-02-29T23:59:59Z', 'day')[1]).toBe('2024-03-01T00:00:00.000Z');
    expect(bounds('2024-02-10T00:00:00Z', 'month')).toEqual([
      '2024-02-01T00:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ]);
    expect(bounds('2000-02-28T12:00:00Z', 'day')[1]).toBe('2000-02-29T00:00:00.000Z');
    expect(bounds('2100-02-28T12:00:00Z', 'day')[1]).toBe('2100-03-01T00:00:00.000Z');
  });

  it('refuses an invalid date instead of returning one', () => {
    expect(() => periodStart(new Date('not a date'), 'day')).toThrow(RangeError);
    expect(() => periodEnd(new Date(Number.NaN), 'month')).toThrow(RangeError);
  });
});

describe('QuotaExceededError', () => {
  it('is a non-retryable 429 saying which quota ran out and when it resets', () => {
    const resetsAt = periodEnd(new Date('2024-02-29T10:00:00Z'), 'month').toISOString();
    const error = new QuotaExceededError({
      scope: 'workspace',
      period: 'month',
      metric: 'tokens',
      limit: 1_000_000,
      used: 1_000_212,
      resetsAt,
    });
    expect(error).toMatchObject({
      status: 429,
      code: 'quota_exceeded',
      retryable: false,
      details: { scope: 'workspace', period: 'month', metric: 'tokens', resetsAt },
    });
    expect(error.message).toBe(
      'The monthly token quota of this workspace is used up; it resets at 2024-03-01T00:00:00.000Z.',
    );
  });
});
