import { existsSync } from 'node:fs';
import { chmod, copyFile, link, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { sqliteMigrations } from '../store/migrations/index.js';
import { type BackupManifest, SQLITE_FILE_NAMES } from './backup-manifest.js';
import { uploadGzipped } from './backup-streams.js';
import type {
  DatabaseBackup,
  DatabaseSnapshot,
  DownloadedFiles,
  SnapshotCheck,
} from './database-backup.js';
import { assertNotInUse, copyLiveDatabase, inspectDatabase } from './sqlite-files.js';

/** Suffix of the file a restore moves aside, so restoring the wrong backup can be undone. */
export const BEFORE_RESTORE_SUFFIX = '.before-restore';

/**
 * Backups of the single-process data folder: `keel.db` (the store) and, when present, `jobs.db`
 * (the job queue; absent when jobs run on Redis). Each is copied online, gzipped and uploaded.
 * The two copies are taken one after the other, not in one instant: a job enqueued in between
 * may be in one and not the other, which a restored Keel handles like any job whose source is gone.
 */
export class SqliteBackup implements DatabaseBackup {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly workParent: string;

  constructor(private readonly dataDir: string) {
    this.location = join(dataDir, 'keel.db');
    this.workParent = dataDir; // a restore renames its downloads into place: same disk
  }

  async snapshot(blobs: BlobStore, folder: string): Promise<DatabaseSnapshot> {
    if (!existsSync(this.location)) {
      throw new NotFoundError(
        'database_missing',
        `There is no database at ${this.location} to back up (is KEEL_DATA_DIR right?)`,
      );
    }
    // The copies go beside the data, not in the system temp folder, which is often a small tmpfs.
    const work = await mkdtemp(join(this.dataDir, '.keel-backup-'));
    try {
      const snapshot: DatabaseSnapshot = { files: [], schema: { migration: null } };
      for (const name of SQLITE_FILE_NAMES) {
        const live = join(this.dataDir, name);
        if (name !== 'keel.db' && !existsSync(live)) continue;
        const copy = join(work, name);
        await copyLiveDatabase(live, copy);
        const facts = inspectDatabase(copy);
        if (name === 'keel.db') snapshot.schema.migration = facts.migration;
        else snapshot.schema.jobsVersion = facts.userVersion;
        snapshot.files.push(await uploadGzipped(blobs, copy, `${folder}${name}.gz`, name));
      }
      return snapshot;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  describeRestore(manifest: BackupManifest): string {
    const names = manifest.files.map((file) => file.name).join(' and ');
    return (
      `This replaces ${names} in ${this.dataDir} with the backup from ${manifest.createdAt}: ` +
      'everything written since then (sources, users, keys, conversations, audit, jobs) is lost. ' +
      `The current files are kept as <name>${BEFORE_RESTORE_SUFFIX}. Stop every Keel process ` +
      'using this data folder first.'
    );
  }

  async restore(manifest: BackupManifest, files: DownloadedFiles): Promise<string[]> {
    assertKnownMigration(manifest.schema.migration);
    // Every target is checked before any is replaced, so a refusal changes nothing.
    for (const name of SQLITE_FILE_NAMES) assertNotInUse(join(this.dataDir, name));
    const notes: string[] = [];
    for (const [name, downloaded] of files) {
      const target = join(this.dataDir, name);
      if (existsSync(target)) {
        // The database holds password hashes: the restored file keeps the old one's permissions.
        await chmod(downloaded, (await stat(target)).mode & 0o777);
        const kept = `${target}${BEFORE_RESTORE_SUFFIX}`;
        await rm(kept, { force: true });
        await keepAside(target, kept);
        notes.push(`The previous ${name} is kept as ${kept}.`);
      }
      // A WAL left beside the file belongs to the old database; SQLite would replay it into ours.
      await rm(`${target}-wal`, { force: true });
      await rm(`${target}-shm`, { force: true });
      await rename(downloaded, target);
    }
    for (const name of SQLITE_FILE_NAMES) {
      if (!files.has(name) && existsSync(join(this.dataDir, name))) {
        notes.push(`${name} was not in the backup and is left as it is.`);
      }
    }
    return notes;
  }
}

/**
 * Checks downloaded copies beyond their digests: each opens, passes `PRAGMA integrity_check`, and
 * is at the migration (`keel.db`) or queue version (`jobs.db`) the manifest records.
 */
export async function checkSqliteCopies(
  manifest: BackupManifest,
  files: DownloadedFiles,
): Promise<SnapshotCheck> {
  const result: SnapshotCheck = { problems: [], passed: [] };
  for (const [name, path] of files) {
    let facts;
    try {
      facts = inspectDatabase(path);
    } catch (error) {
      result.problems.push(`${name} does not open as SQLite: ${(error as Error).message}`);
      continue;
    }
    if (facts.integrity.join() !== 'ok') {
      result.problems.push(`${name} integrity check: ${facts.integrity.slice(0, 5).join('; ')}`);
    } else {
      result.passed.push(`${name} integrity check ok`);
    }
    if (name === 'keel.db') {
      if (facts.migration !== manifest.schema.migration) {
        result.problems.push(
          `keel.db is at migration ${facts.migration ?? 'none'}, the manifest says ${manifest.schema.migration ?? 'none'}`,
        );
      } else {
        result.passed.push(`keel.db at migration ${facts.migration ?? 'none'}`);
      }
    } else if (facts.userVersion !== manifest.schema.jobsVersion) {
      result.problems.push(
        `${name} is at version ${facts.userVersion}, the manifest says ${manifest.schema.jobsVersion ?? 'none'}`,
      );
    } else {
      result.passed.push(`${name} at queue version ${facts.userVersion}`);
    }
  }
  return result;
}

/** A second name for the old file, so that replacing it stays a single atomic rename. */
async function keepAside(file: string, kept: string): Promise<void> {
  try {
    await link(file, kept);
  } catch {
    await copyFile(file, kept); // a filesystem without hard links
  }
}

/** A store at a migration this build does not know came from a newer Keel, which must restore it. */
function assertKnownMigration(migration: string | null): void {
  if (migration === null || Object.hasOwn(sqliteMigrations, migration)) return;
  throw new ConflictError(
    'backup_schema_newer',
    `The backup's database is at migration ${migration}, which this version of Keel does not ` +
      'know: restore it with the Keel version that made it (see keel backup list)',
    { migration },
  );
}
