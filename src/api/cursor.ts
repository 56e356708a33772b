import type { z } from 'zod';
import { ValidationError } from '../errors.js';

/**
 * Opaque page cursors: the position of the last row, as base64url JSON. Clients pass them back
 * unchanged; anything that does not decode to the expected shape is a 400, never a crash.
 *
 * @example
 *   const next = encodeCursor({ updatedAt: row.updatedAt, id: row.id });
 *   const after = decodeCursor(next, z.object({ updatedAt: z.string(), id: z.string() }));
 */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ValidationError('invalid_cursor', 'The cursor is not one this API returned', {
      field: 'cursor',
    });
  return parsed.data;
}
