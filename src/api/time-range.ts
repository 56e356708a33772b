import { z } from 'zod';
import { ValidationError } from '../errors.js';

/**
 * A point in time in a query string: an ISO date (`2025-01-31`, midnight UTC) or date-time with
 * an offset. Normalised to the ISO-8601 UTC form the store keeps, so text comparison orders it.
 */
export const instantSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((text) => new Date(text).toISOString());

/** Rejects a range that ends before it starts (an empty answer would hide the mistake). */
export function assertRange(from: string | undefined, to: string | undefined): void {
  if (from && to && from >= to)
    throw new ValidationError('invalid_range', '"from" must be before "to"', { from, to });
}
