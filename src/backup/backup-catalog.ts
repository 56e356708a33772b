import type { BlobStore } from '../blobs/blob-store.js';
import { KeelError, NotFoundError, isKeelError } from '../errors.js';
import {
  BACKUP_PREFIX,
  type BackupManifest,
  manifestKey,
  parseManifest,
} from './backup-manifest.js';

/** A manifest is a few hundred bytes; anything far larger is not one of ours. */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const MANIFEST_KEY = /^backups\/([^/]+)\/manifest\.json$/;

export interface BackupCatalog {
  /** Complete backups, newest first. */
  backups: BackupManifest[];
  /** Backups whose manifest exists but does not parse, so a listing still shows them. */
  unreadable: { id: string; reason: string }[];
}

/** The manifest of backup `id`; `backup_not_found` when there is none. */
export async function readManifest(blobs: BlobStore, id: string): Promise<BackupManifest> {
  const key = manifestKey(id);
  const object = await blobs.get(key);
  if (!object) {
    throw new NotFoundError('backup_not_found', `There is no backup ${id} (see keel backup list)`, {
      id,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_MANIFEST_BYTES) {
      object.body.destroy();
      throw new KeelError('backup_manifest_invalid', `Backup manifest ${key} is too large`, 422);
    }
    chunks.push(chunk as Buffer);
  }
  const manifest = parseManifest(Buffer.concat(chunks).toString('utf8'), key);
  if (manifest.id !== id) {
    throw new KeelError(
      'backup_manifest_invalid',
      `Backup manifest ${key} names backup ${manifest.id}`,
      422,
    );
  }
  return manifest;
}

/** Every backup with a manifest, found by listing `backups/` a page at a time. */
export async function listBackups(blobs: BlobStore): Promise<BackupCatalog> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await blobs.list(BACKUP_PREFIX, cursor ? { cursor } : {});
    for (const item of page.items) {
      const id = MANIFEST_KEY.exec(item.key)?.[1];
      if (id) ids.push(id);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const catalog: BackupCatalog = { backups: [], unreadable: [] };
  for (const id of ids) {
    try {
      catalog.backups.push(await readManifest(blobs, id));
    } catch (error) {
      if (isKeelError(error) && error.code === 'backup_not_found') continue; // pruned meanwhile
      if (!isKeelError(error) || error.code !== 'backup_manifest_invalid') throw error;
      catalog.unreadable.push({ id, reason: error.message });
    }
  }
  // Newest first by the recorded time; the id breaks ties within one second.
  catalog.backups.sort(
    (left, right) =>
      right.createdAt.localeCompare(left.createdAt) || right.id.localeCompare(left.id),
  );
  return catalog;
}
