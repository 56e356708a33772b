/**
 * The blob port: uploads, generated content and backups, stored by key. One small interface; the
 * folder adapter lives in `blob-store-local.ts`, the S3-compatible one in `blob-store-s3.ts`, and
 * `open-blob-store.ts` picks one from the configuration. Both pass
 * `test/contracts/blob-store-contract.ts`.
 *
 * Bodies stream in and out: an adapter never holds a whole object in memory, and computes the
 * SHA-256 while the bytes go by. Keys, prefixes, content types and metadata are checked here,
 * before any I/O, so every adapter accepts and refuses exactly the same input.
 */

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ValidationError } from '../errors.js';

export interface BlobPutOptions {
  /** A MIME type such as `application/pdf`; default `application/octet-stream`. */
  contentType?: string;
  /** Small string annotations kept with the object: lowercase names, printable ASCII values. */
  metadata?: Record<string, string>;
}

export interface BlobPutResult {
  key: string;
  size: number;
  /** Hex SHA-256 of the body as it was received. */
  sha256: string;
  /** The backend's entity tag, where it has one (S3). */
  etag?: string;
}

export interface BlobInfo {
  key: string;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  lastModified: Date;
  etag?: string;
}

/** An object being read. Consume or destroy `body`: it holds a file or a connection open. */
export interface BlobObject extends BlobInfo {
  body: Readable;
}

export interface BlobListItem {
  key: string;
  size: number;
  lastModified: Date;
}

export interface BlobListOptions {
  /** Items per page, 1 to 1000; default 1000. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface BlobListPage {
  /** Sorted by key in UTF-8 byte order, as S3 sorts. */
  items: BlobListItem[];
  /** Present when more items follow; pass it back as `cursor`. */
  nextCursor?: string;
}

/**
 * Objects stored by key. A key is a `/`-separated path of letters and digits in any script, spaces
 * and `- _ . ! ' ( ) = + , @`: no leading `/`, no empty or `.` segment, no `..` anywhere, at most
 * 1024 bytes and 200 bytes per segment (a file name in the folder adapter). Anything else is a
 * `ValidationError` (`blob_key_invalid`) raised before any I/O. Backend failures are
 * `UpstreamError`s with code `blob_store_unavailable` (HTTP 503).
 *
 * @example
 *   const stored = await blobs.put(`uploads/${uploadId}/${fileName}`, request.raw, {
 *     contentType: 'application/pdf',
 *     metadata: { 'uploaded-by': user.id },
 *   });
 *   const object = await blobs.get(stored.key);
 *   if (object) await pipeline(object.body, reply.raw);
 *   const { items, nextCursor } = await blobs.list('uploads/', { limit: 100 });
 */
export interface BlobStore {
  /** Stores the body under `key`, replacing any object there; visible only once complete. */
  put(key: string, body: Buffer | Readable, options?: BlobPutOptions): Promise<BlobPutResult>;
  get(key: string): Promise<BlobObject | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  exists(key: string): Promise<boolean>;
  /** Removes the object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Objects whose keys start with `prefix` (`''` for all), a page at a time. */
  list(prefix: string, options?: BlobListOptions): Promise<BlobListPage>;
  close(): Promise<void>;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
export const MAX_LIST_LIMIT = 1000;
const MAX_KEY_BYTES = 1024;
const MAX_SEGMENT_BYTES = 200;
// `~` and every character a filesystem or URL treats specially are left out; the folder adapter
// relies on `~` never appearing in a key to name its own files.
const KEY_CHARACTERS = /^[\p{L}\p{N}\p{M} \-_.!'()=+,@/]*$/u;
const METADATA_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
// Values travel as HTTP headers (`x-amz-meta-*`): printable ASCII, no edge spaces (HTTP trims).
const METADATA_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const MAX_METADATA_BYTES = 2048;
const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;\s*[\w.+-]+=(?:[\w.+-]+|"[^"\\]*"))*$/;

function describeProblem(text: string, allowPartial: boolean): string | undefined {
  if (text === '' && !allowPartial) return 'is empty';
  if (Buffer.byteLength(text) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  if (text.startsWith('/')) return 'starts with "/"';
  if (text.includes('\\')) return 'contains a backslash';
  if (text.includes('..')) return 'contains ".."';
  if (!KEY_CHARACTERS.test(text))
    return "contains a character outside letters, digits, spaces and -_.!'()=+,@/";
  const segments = text.split('/');
  // A prefix may end in "/" or in part of a name, so its last segment may be empty.
  const whole = allowPartial ? segments.slice(0, -1) : segments;
  if (whole.some((segment) => segment === '' || segment === '.'))
    return 'has an empty or "." segment';
  if (segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)) {
    return `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Throws `blob_key_invalid` unless `key` follows the rules on `BlobStore`. */
export function assertValidBlobKey(key: string): void {
  const problem = typeof key === 'string' ? describeProblem(key, false) : 'is not a string';
  if (problem) {
    throw new ValidationError('blob_key_invalid', `Blob key ${preview(String(key))} ${problem}`, {
      reason: problem,
    });
  }
}

/** A prefix follows the key rules, but may be empty or end with "/" or part of a name. */
export function assertValidBlobPrefix(prefix: string): void {
  const problem = typeof prefix === 'string' ? describeProblem(prefix, true) : 'is not a string';
  if (problem) {
    throw new ValidationError(
      'blob_prefix_invalid',
      `Blob prefix ${preview(String(prefix))} ${problem}`,
      {
        reason: problem,
      },
    );
  }
}

/** Checks content type and metadata, filling in the defaults. */
export function resolvePutOptions(options: BlobPutOptions = {}): Required<BlobPutOptions> {
  const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
  if (contentType.length > 255 || !CONTENT_TYPE.test(contentType)) {
    throw new ValidationError(
      'blob_content_type_invalid',
      `${preview(contentType)} is not a content type`,
    );
  }
  const metadata = { ...options.metadata };
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name) || typeof value !== 'string' || !METADATA_VALUE.test(value)) {
      throw new ValidationError(
        'blob_metadata_invalid',
        `Blob metadata ${preview(name)} needs a name of a-z, 0-9 and - and a printable ASCII value`,
        { name },
      );
    }
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new ValidationError(
      'blob_metadata_invalid',
      `Blob metadata is over ${MAX_METADATA_BYTES} bytes`,
    );
  }
  return { contentType, metadata };
}

/** The page size to use; throws `blob_list_limit_invalid` outside 1 to 1000. */
export function resolveListLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new ValidationError(
      'blob_list_limit_invalid',
      `List limit must be 1 to ${MAX_LIST_LIMIT}`,
      {
        limit,
      },
    );
  }
  return limit;
}

/**
 * A cursor is the last key of the page, base64url-encoded so callers treat it as opaque. Every
 * backend can resume after a key (S3's `StartAfter`), so cursors mean the same everywhere.
 */
export function encodeBlobCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** The key a cursor resumes after; throws `blob_cursor_invalid` for anything we did not issue. */
export function decodeBlobCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(String(cursor), 'base64url').toString('utf8');
  if (key === '' || Buffer.byteLength(key) > MAX_KEY_BYTES || encodeBlobCursor(key) !== cursor) {
    throw new ValidationError(
      'blob_cursor_invalid',
      'The list cursor is not one this store issued',
    );
  }
  return key;
}

/** Orders keys as S3 does: by their UTF-8 bytes (JavaScript's `<` compares UTF-16 units). */
export function compareBlobKeys(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

export interface BodyDigest {
  /** The body's chunks as Buffers, each counted and hashed as it passes. */
  chunks: AsyncGenerator<Buffer>;
  /** Size and SHA-256 of everything `chunks` has yielded. */
  result(): { size: number; sha256: string };
}

/** Reads a body chunk by chunk, hashing as it goes, so nothing has to be held whole. */
export function digestBody(body: Buffer | Readable): BodyDigest {
  const hash = createHash('sha256');
  let size = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    const source: AsyncIterable<unknown> | Buffer[] = Buffer.isBuffer(body) ? [body] : body;
    for await (const chunk of source) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array);
      hash.update(buffer);
      size += buffer.length;
      yield buffer;
    }
  }
  let sha256: string | undefined;
  return {
    chunks: chunks(),
    result: () => ({ size, sha256: (sha256 ??= hash.digest('hex')) }),
  };
}

/**
 * A blob's whole body, or undefined when there is no such blob. Reading stops (and throws
 * `blob_too_large`) past `maxBytes`, so an oversized object cannot fill the process's memory.
 */
export async function readBlob(
  blobs: Pick<BlobStore, 'get'>,
  key: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Buffer | undefined> {
  const object = await blobs.get(key);
  if (!object) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of object.body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > maxBytes) {
        throw new ValidationError('blob_too_large', `${key} is larger than ${maxBytes} bytes`, {
          key,
          maxBytes,
        });
      }
      chunks.push(buffer);
    }
  } finally {
    object.body.destroy();
  }
  return Buffer.concat(chunks);
}
