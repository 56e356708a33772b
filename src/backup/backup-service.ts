import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.js';
import { ConflictError, KeelError, NotFoundError, isKeelError } from '../errors.js';
import {
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  assertBackupId,
  backupFolder,
  backupIdFor,
  manifestKey,
  serializeManifest,
} from './backup-manifest.js';
import { downloadAndCompare } from './backup-streams.js';
import { type BackupCatalog, listBackups, readManifest } from './backup-catalog.js';
import type { DatabaseBackup, DownloadedFiles } from './database-backup.js';
import { keelVersion } from './keel-version.js';
import { checkPostgresDump } from './postgres-backup.js';
import { checkSqliteCopies } from './sqlite-backup.js';

export interface BackupServiceOptions {
  blobs: BlobStore;
  /** The live database: `openDatabaseBackup(config)`. */
  database: DatabaseBackup;
  /** Folder of pg_dump and pg_restore; default: found on `PATH`. */
  postgresBinDir?: string;
  now?: () => Date;
}

export interface Verification {
  manifest: BackupManifest;
  ok: boolean;
  /** Each mismatch, in words; empty when `ok`. */
  problems: string[];
  /** Each check that passed. */
  passed: string[];
}

export interface Restoration {
  manifest: BackupManifest;
  passed: string[];
  notes: string[];
}

/**
 * Backups of Keel's database into the blob store, and their verification and restore. Every
 * backup is `backups/<id>/` with one object per database file and `manifest.json` written last,
 * so a backup that failed half-way is never mistaken for one that can be restored.
 *
 * @example
 *   const backups = new BackupService({ blobs, database: openDatabaseBackup(config) });
 *   const { id } = await backups.create();
 *   const { ok, problems } = await backups.verify(id);
 */
export class BackupService {
  private readonly blobs: BlobStore;
  private readonly database: DatabaseBackup;
  private readonly now: () => Date;

  constructor(private readonly options: BackupServiceOptions) {
    this.blobs = options.blobs;
    this.database = options.database;
    this.now = options.now ?? (() => new Date());
  }

  async create(): Promise<BackupManifest> {
    const createdAt = this.now();
    const id = await this.unusedId(createdAt);
    const folder = backupFolder(id);
    try {
      const snapshot = await this.database.snapshot(this.blobs, folder);
      const manifest: BackupManifest = {
        format: 'keel-backup',
        formatVersion: BACKUP_FORMAT_VERSION,
        id,
        createdAt: createdAt.toISOString(),
        keelVersion: keelVersion(),
        dialect: this.database.dialect,
        source: this.database.location,
        ...snapshot,
      };
      await this.blobs.put(manifestKey(id), serializeManifest(manifest), {
        contentType: 'application/json',
      });
      return manifest;
    } catch (error) {
      await this.deleteFolder(folder).catch(() => undefined); // the original error matters more
      throw error;
    }
  }

  /** Complete backups, newest first, and any whose manifest cannot be read. */
  list(): Promise<BackupCatalog> {
    return listBackups(this.blobs);
  }

  /** Checks a backup (default: the newest) end to end, in a temporary folder removed after. */
  async verify(id?: string): Promise<Verification> {
    const manifest = await this.find(id);
    const work = await mkdtemp(join(tmpdir(), 'keel-verify-'));
    try {
      const { files: _files, ...verification } = await this.download(manifest, work);
      return verification;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** What `restore(id)` would replace, for the operator to confirm. */
  async describeRestore(id: string): Promise<string> {
    const manifest = await this.find(id);
    this.assertSameDialect(manifest);
    return this.database.describeRestore(manifest);
  }

  /** Verifies the backup, then replaces the live database with exactly the bytes verified. */
  async restore(id: string): Promise<Restoration> {
    const manifest = await this.find(id);
    this.assertSameDialect(manifest);
    const work = await mkdtemp(join(this.database.workParent ?? tmpdir(), '.keel-restore-'));
    try {
      const { files, ok, problems, passed } = await this.download(manifest, work);
      if (!ok) {
        throw new KeelError(
          'backup_invalid',
          `Backup ${manifest.id} failed verification; nothing was restored:\n  ${problems.join('\n  ')}`,
          422,
          { id: manifest.id, problems },
        );
      }
      const notes = await this.database.restore(manifest, files);
      return { manifest, passed, notes };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Deletes all but the newest `keep` complete backups; returns the ids removed. */
  async prune(keep: number): Promise<string[]> {
    const { backups } = await this.list();
    const removed: string[] = [];
    for (const manifest of backups.slice(Math.max(0, keep))) {
      await this.deleteFolder(backupFolder(manifest.id), manifestKey(manifest.id));
      removed.push(manifest.id);
    }
    return removed;
  }

  private async find(id: string | undefined): Promise<BackupManifest> {
    if (id !== undefined) {
      assertBackupId(id);
      return readManifest(this.blobs, id);
    }
    const { backups } = await this.list();
    if (!backups[0])
      throw new NotFoundError(
        'backup_not_found',
        'There are no backups yet; make one with keel backup',
      );
    return backups[0];
  }

  private assertSameDialect(manifest: BackupManifest): void {
    if (manifest.dialect === this.database.dialect) return;
    throw new ConflictError(
      'backup_dialect_mismatch',
      `Backup ${manifest.id} is of a ${manifest.dialect} database, but Keel is configured for ` +
        `${this.database.dialect} (${this.database.location}); a backup restores into the same kind`,
      { backup: manifest.dialect, configured: this.database.dialect },
    );
  }

  /** Downloads every file into `work`, comparing each with the manifest, then checks the copies. */
  private async download(
    manifest: BackupManifest,
    work: string,
  ): Promise<Verification & { files: DownloadedFiles }> {
    const problems: string[] = [];
    const passed: string[] = [];
    const files = new Map<BackupManifest['files'][number]['name'], string>();
    for (const file of manifest.files) {
      const path = join(work, file.name);
      try {
        const found = await downloadAndCompare(this.blobs, file, path);
        problems.push(...found);
        if (found.length === 0) {
          passed.push(`${file.key}: ${file.size} bytes, SHA-256 matches`);
          files.set(file.name, path);
        }
      } catch (error) {
        // A missing object is what verification exists to find; anything else is a failure.
        if (!isKeelError(error) || error.code !== 'backup_file_missing') throw error;
        problems.push(error.message);
      }
    }
    if (problems.length === 0) {
      const check =
        manifest.dialect === 'sqlite'
          ? await checkSqliteCopies(manifest, files)
          : await checkPostgresDump(manifest, files, this.options.postgresBinDir);
      problems.push(...check.problems);
      passed.push(...check.passed);
    }
    return { manifest, ok: problems.length === 0, problems, passed, files };
  }

  /** A second backup in the same second gets `-2`, and so on: ids never collide. */
  private async unusedId(createdAt: Date): Promise<string> {
    for (let attempt = 1; attempt < 1000; attempt++) {
      const id = backupIdFor(createdAt, attempt);
      const { items } = await this.blobs.list(backupFolder(id), { limit: 1 });
      if (items.length === 0) return id;
    }
    throw new ConflictError(
      'backup_exists',
      `Too many backups started at ${createdAt.toISOString()}`,
    );
  }

  /**
   * Removes every object of a backup. The manifest goes first, so a prune cut short leaves an
   * incomplete folder (never listed) rather than a listed backup with files missing.
   */
  private async deleteFolder(folder: string, manifest?: string): Promise<void> {
    if (manifest) await this.blobs.delete(manifest);
    for (;;) {
      const { items } = await this.blobs.list(folder, { limit: 1000 });
      if (items.length === 0) return;
      for (const item of items) await this.blobs.delete(item.key);
    }
  }
}
