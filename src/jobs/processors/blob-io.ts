import type { z } from 'zod';
import { type BlobStore, readBlob } from '../../blobs/blob-store.js';
import { ValidationError } from '../../errors.js';

/**
 * A blob's body as UTF-8 text, or undefined when there is no such blob. Reading stops (and
 * throws `blob_too_large`, not retryable) past `maxBytes`, so an oversized upload cannot fill
 * the worker's memory.
 */
export async function readBlobText(
  blobs: BlobStore,
  key: string,
  maxBytes: number,
): Promise<string | undefined> {
  return (await readBlob(blobs, key, maxBytes))?.toString('utf8');
}

/**
 * A JSON blob Keel wrote itself, parsed with `schema`; undefined when it is missing or no longer
 * has the expected shape (an older release's layout), so the caller redoes the work instead of
 * trusting it.
 */
export async function readBlobJson<T>(
  blobs: BlobStore,
  key: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  const text = await readBlobText(blobs, key, 16 * 1024 * 1024);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Stores `value` as pretty JSON, the way the predictions and generated metadata are read back. */
export async function putBlobJson(blobs: BlobStore, key: string, value: unknown): Promise<void> {
  await blobs.put(key, Buffer.from(`${JSON.stringify(value, null, 2)}\n`), {
    contentType: 'application/json',
  });
}

/**
 * One `/`-free segment of a blob key. Ids become key segments (`series/<workspaceId>/…`); a `/`
 * inside one would let workspace `a/b` read workspace `a`'s objects, so it is refused outright.
 */
export function keySegment(name: string, value: string): string {
  if (value.includes('/')) {
    throw new ValidationError('invalid_id', `${name} must not contain "/"`, { [name]: value });
  }
  return value;
}
