import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { isKeelError, UpstreamError, ValidationError } from '../errors.js';
import {
  assertValidBlobKey,
  assertValidBlobPrefix,
  type BlobInfo,
  type BlobListItem,
  type BlobListOptions,
  type BlobListPage,
  type BlobObject,
  type BlobPutOptions,
  type BlobPutResult,
  type BlobStore,
  compareBlobKeys,
  decodeBlobCursor,
  DEFAULT_CONTENT_TYPE,
  digestBody,
  encodeBlobCursor,
  resolveListLimit,
  resolvePutOptions,
} from './blob-store.js';

// Layout: key `a/b/report.pdf` is the file `a/b/report.pdf~blob` with its sidecar
// `a/b/report.pdf~meta.json`. Keys never contain `~`, so the key `a` (file `a~blob`) and the key
// `a/b` (folder `a/`) never collide, and temporary files (`~tmp-`) are never mistaken for objects.
const BODY_SUFFIX = '~blob';
const SIDECAR_SUFFIX = '~meta.json';

const sidecarSchema = z.object({
  contentType: z.string(),
  metadata: z.record(z.string(), z.string()),
});
type Sidecar = z.infer<typeof sidecarSchema>;

interface Location {
  folder: string;
  body: string;
  sidecar: string;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes(errorCode(error) ?? '');

/** Disk failures become `blob_store_unavailable`; our own and stream errors pass unchanged. */
function storageFailure(operation: string, key: string, error: unknown): unknown {
  if (isKeelError(error) || !(error as NodeJS.ErrnoException | undefined)?.syscall) return error;
  const reason = errorCode(error) ?? 'unknown error';
  return new UpstreamError(
    'blob_store_unavailable',
    `Local blob storage could not ${operation} ${JSON.stringify(key)}: ${reason}`,
    { operation, reason },
    false,
    503,
  );
}

/**
 * Blobs in a folder (`KEEL_DATA_DIR/blobs`), for a single Keel process. A write streams into a
 * temporary file that is renamed into place once complete, so readers see the old object or the
 * new one, never a partial body (during an overwrite a reader may, for an instant, see the new
 * sidecar with the old body). Writes to one key are committed one at a time within the process;
 * several processes sharing one folder should use S3 instead.
 *
 * @example
 *   const blobs = new LocalBlobStore(join(config.dataDir, 'blobs'));
 */
export class LocalBlobStore implements BlobStore {
  private readonly root: string;
  private readonly commits = new Map<string, Promise<unknown>>();

  constructor(folder: string) {
    this.root = resolve(folder);
  }

  async put(
    key: string,
    body: Buffer | Readable,
    options?: BlobPutOptions,
  ): Promise<BlobPutResult> {
    assertValidBlobKey(key);
    const sidecar: Sidecar = resolvePutOptions(options);
    const location = this.locate(key);
    const temporary = `${location.body}~tmp-${randomBytes(8).toString('hex')}`;
    try {
      const digest = digestBody(body);
      const file = await this.createTemporary(temporary);
      await pipeline(digest.chunks, file.createWriteStream({ flush: true }));
      await writeFile(`${temporary}.json`, JSON.stringify(sidecar), { flag: 'wx' });
      // The sidecar goes first: a new key then never shows its body without its metadata.
      await this.oneAtATime(key, async () => {
        await rename(`${temporary}.json`, location.sidecar);
        await rename(temporary, location.body);
      });
      return { key, ...digest.result() };
    } catch (error) {
      await Promise.all([rm(temporary, { force: true }), rm(`${temporary}.json`, { force: true })]);
      throw storageFailure('write', key, error);
    }
  }

  async get(key: string): Promise<BlobObject | undefined> {
    assertValidBlobKey(key);
    const location = this.locate(key);
    let handle: FileHandle;
    try {
      handle = await open(location.body, 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storageFailure('read', key, error);
    }
    try {
      const [stats, sidecar] = await Promise.all([handle.stat(), this.readSidecar(location)]);
      const body = handle.createReadStream();
      return { key, size: stats.size, lastModified: stats.mtime, ...sidecar, body };
    } catch (error) {
      await handle.close();
      throw storageFailure('read', key, error);
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertValidBlobKey(key);
    const location = this.locate(key);
    try {
      const [stats, sidecar] = await Promise.all([stat(location.body), this.readSidecar(location)]);
      return { key, size: stats.size, lastModified: stats.mtime, ...sidecar };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storageFailure('read', key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    const location = this.locate(key);
    try {
      await this.oneAtATime(key, async () => {
        await rm(location.body, { force: true });
        await rm(location.sidecar, { force: true });
      });
      await this.removeEmptyFolders(location.folder);
    } catch (error) {
      throw storageFailure('delete', key, error);
    }
  }

  async list(prefix: string, options: BlobListOptions = {}): Promise<BlobListPage> {
    assertValidBlobPrefix(prefix);
    const limit = resolveListLimit(options.limit);
    const after = decodeBlobCursor(options.cursor);
    const items: BlobListItem[] = [];
    const folderKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    try {
      for await (const key of this.keysUnder(folderKey, prefix, after)) {
        const item = await this.listItem(key);
        if (!item) continue;
        // One item beyond the page tells whether another page exists.
        if (items.length === limit)
          return { items, nextCursor: encodeBlobCursor(items.at(-1)!.key) };
        items.push(item);
      }
      return { items };
    } catch (error) {
      throw storageFailure('list', prefix, error);
    }
  }

  async close(): Promise<void> {}

  /** Where a key lives; refuses any path that would resolve outside the blob folder. */
  private locate(key: string): Location {
    const parts = key.split('/');
    const name = parts.pop()!;
    const folder = resolve(this.root, ...parts);
    const body = resolve(folder, `${name}${BODY_SUFFIX}`);
    if (!body.startsWith(this.root + sep)) {
      throw new ValidationError('blob_key_invalid', 'Blob key points outside the blob folder', {
        reason: 'points outside the blob folder',
      });
    }
    return { folder, body, sidecar: resolve(folder, `${name}${SIDECAR_SUFFIX}`) };
  }

  /** Commits to a key in turn, so two writers cannot leave one's body with the other's sidecar. */
  private async oneAtATime(key: string, commit: () => Promise<void>): Promise<void> {
    const previous = this.commits.get(key) ?? Promise.resolve();
    const current = previous.then(commit);
    const settled = current.catch(() => undefined);
    this.commits.set(key, settled);
    try {
      await current;
    } finally {
      if (this.commits.get(key) === settled) this.commits.delete(key);
    }
  }

  /** A delete may remove an emptied folder between our mkdir and our open, hence the retries. */
  private async createTemporary(file: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(file), { recursive: true });
      try {
        return await open(file, 'wx');
      } catch (error) {
        if (attempt === 3 || errorCode(error) !== 'ENOENT') throw error;
      }
    }
  }

  private async removeEmptyFolders(folder: string): Promise<void> {
    for (let current = folder; current.startsWith(this.root + sep); current = dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): the folders above are not empty either
      }
    }
  }

  private async readSidecar(location: Location): Promise<Sidecar> {
    let text: string;
    try {
      text = await readFile(location.sidecar, 'utf8');
    } catch (error) {
      if (isMissing(error)) return { contentType: DEFAULT_CONTENT_TYPE, metadata: {} };
      throw error;
    }
    const parsed = sidecarSchema.safeParse(parseJson(text));
    if (!parsed.success) throw new Error(`Blob sidecar ${location.sidecar} is malformed`);
    return parsed.data;
  }

  private async listItem(key: string): Promise<BlobListItem | undefined> {
    try {
      const stats = await stat(this.locate(key).body);
      return { key, size: stats.size, lastModified: stats.mtime };
    } catch (error) {
      if (isMissing(error)) return undefined; // deleted while we were listing
      throw error;
    }
  }

  /**
   * Yields keys under `folderKey` that start with `prefix` and sort after `after`, in UTF-8 order,
   * reading one folder at a time. Within a folder, a file stands for its key and a subfolder `x/`
   * for every key starting `x/`; sorting those names sorts the keys they stand for, so a
   * depth-first walk yields the global order without reading the whole tree first.
   */
  private async *keysUnder(
    folderKey: string,
    prefix: string,
    after: string | undefined,
  ): AsyncGenerator<string> {
    const entries = await this.readFolder(join(this.root, folderKey));
    const candidates = entries
      .flatMap((entry) => {
        if (entry.name.includes('~')) {
          if (!entry.isFile() || !entry.name.endsWith(BODY_SUFFIX)) return [];
          return [{ key: folderKey + entry.name.slice(0, -BODY_SUFFIX.length), isFolder: false }];
        }
        return entry.isDirectory() ? [{ key: `${folderKey}${entry.name}/`, isFolder: true }] : [];
      })
      .filter((candidate) => candidate.key.startsWith(prefix))
      .sort((left, right) => compareBlobKeys(left.key, right.key));
    for (const { key, isFolder } of candidates) {
      // Skip what the cursor has passed; descend into the folder that holds the cursor itself.
      if (
        after !== undefined &&
        compareBlobKeys(key, after) <= 0 &&
        !(isFolder && after.startsWith(key))
      ) {
        continue;
      }
      if (isFolder) yield* this.keysUnder(key, prefix, after);
      else yield key;
    }
  }

  private async readFolder(folder: string): Promise<Dirent[]> {
    try {
      return await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }
}
