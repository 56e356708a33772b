import type { BlobStore } from '../blobs/blob-store.js';
import type { BackupDialect, BackupFile, BackupManifest } from './backup-manifest.js';

export interface DatabaseSnapshot {
  files: BackupFile[];
  schema: BackupManifest['schema'];
}

/** A backup's files downloaded and decompressed, by name, with the local path of each. */
export type DownloadedFiles = ReadonlyMap<BackupFile['name'], string>;

export interface SnapshotCheck {
  /** What is wrong; any entry makes the backup unusable. */
  problems: string[];
  /** What was checked and found right, for the operator to read. */
  passed: string[];
}

/**
 * The live database's side of backups, one adapter per dialect (`sqlite-backup.ts`,
 * `postgres-backup.ts`); `backup-service.ts` does the blob store, manifest and verification
 * around them, identically for both. Checking a downloaded backup is a plain function per dialect
 * (`checkSqliteCopies`, `checkPostgresDump`), since any backup can be verified from either mode.
 */
export interface DatabaseBackup {
  readonly dialect: BackupDialect;
  /** Where the live data is, fit for output: a file path or `postgres://host/db`, no password. */
  readonly location: string;
  /** A consistent copy of the live database, streamed into the blob store under `folder`. */
  snapshot(blobs: BlobStore, folder: string): Promise<DatabaseSnapshot>;
  /** What a restore replaces, in a sentence for the confirmation prompt. */
  describeRestore(manifest: BackupManifest): string;
  /** Replaces the live database with verified copies; returns notes for the operator. */
  restore(manifest: BackupManifest, files: DownloadedFiles): Promise<string[]>;
  /** Where downloads for a restore go: a folder on the data's own disk if a rename must follow. */
  readonly workParent: string | undefined;
}
