import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { BlobStore } from '../blobs/blob-store.js';
import { NotFoundError } from '../errors.js';
import { type BackupFile, extensionOf } from './backup-manifest.js';

export interface Digest {
  size: number;
  sha256: string;
}

/** A pass-through that counts and hashes the bytes going by. */
export function digestStream(): { stream: Transform; result(): Digest } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let sha256: string | undefined;
  return { stream, result: () => ({ size, sha256: (sha256 ??= hash.digest('hex')) }) };
}

/**
 * Streams a local file into the blob store under `key`, gzipped. The body is never held whole, so
 * a database of any size goes through; the blob store hashes what it stored, and the file's own
 * digest is taken on the way in so a restore can check the decompressed bytes too.
 */
export async function uploadGzipped(
  blobs: BlobStore,
  file: string,
  key: string,
  name: BackupFile['name'],
): Promise<BackupFile> {
  const content = digestStream();
  const body = new PassThrough();
  // pipeline() destroys `body` with the error if reading or compressing fails, which makes the
  // put below fail too instead of storing a truncated object.
  const producing = pipeline(createReadStream(file), content.stream, createGzip(), body);
  let stored;
  try {
    [stored] = await Promise.all([
      blobs.put(key, body, { contentType: 'application/gzip' }),
      producing,
    ]);
  } catch (error) {
    body.destroy(); // a failed upload stops reading the file rather than stalling on it
    throw error;
  }
  const { size: contentSize, sha256: contentSha256 } = content.result();
  return {
    name,
    key,
    size: stored.size,
    sha256: stored.sha256,
    encoding: 'gzip',
    contentSize,
    contentSha256,
  };
}

/** Streams a body (e.g. pg_dump's output) into the blob store as it is, with its digest. */
export async function uploadStream(
  blobs: BlobStore,
  body: Readable,
  key: string,
  name: BackupFile['name'],
): Promise<BackupFile> {
  const stored = await blobs.put(key, body, { contentType: 'application/octet-stream' });
  return {
    name,
    key,
    size: stored.size,
    sha256: stored.sha256,
    encoding: 'identity',
    contentSize: stored.size,
    contentSha256: stored.sha256,
  };
}

/**
 * Downloads one backup file to `target` and returns what does not match the manifest, in words an
 * operator can act on (empty when the file is intact). The stored object is checked first, as
 * downloaded; only an object that matches is decompressed, and the result checked again, so a
 * damaged object is reported as a SHA-256 mismatch rather than as whatever zlib makes of it. A
 * missing object is `backup_file_missing`.
 */
export async function downloadAndCompare(
  blobs: BlobStore,
  file: BackupFile,
  target: string,
): Promise<string[]> {
  const object = await blobs.get(file.key);
  if (!object) {
    throw new NotFoundError('backup_file_missing', `${file.key} is missing from the blob store`, {
      key: file.key,
    });
  }
  const compressed = file.encoding === 'gzip' ? `${target}${extensionOf(file.encoding)}` : target;
  const stored = digestStream();
  await pipeline(object.body, stored.stream, createWriteStream(compressed));
  const { size, sha256 } = stored.result();
  if (size !== file.size || sha256 !== file.sha256) {
    return [
      `${file.key}: ${size} bytes with SHA-256 ${sha256}; the manifest says ${file.size} bytes ` +
        `with SHA-256 ${file.sha256}`,
    ];
  }
  if (file.encoding === 'identity') return [];
  const content = digestStream();
  try {
    await pipeline(
      createReadStream(compressed),
      createGunzip(),
      content.stream,
      createWriteStream(target, { flush: true }),
    );
  } catch (error) {
    return [`${file.key}: does not decompress (${(error as Error).message})`];
  } finally {
    await rm(compressed, { force: true });
  }
  const decompressed = content.result();
  if (decompressed.size !== file.contentSize || decompressed.sha256 !== file.contentSha256) {
    return [`${file.name}: the decompressed file does not match the manifest's SHA-256`];
  }
  return [];
}
