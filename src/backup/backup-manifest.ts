/**
 * What a backup is: the objects under `backups/<id>/` in the blob store, described by the
 * `manifest.json` written there last. A folder without a manifest is a backup that never finished
 * (or is still being written) and is never listed, verified or restored.
 *
 * The manifest is read back from storage an operator (or an attacker with bucket access) may have
 * edited, so it is parsed with zod and its file names and keys are checked against what Keel
 * itself writes: a file name decides where a restore writes, a key what a prune deletes.
 */

import { z } from 'zod';
import { KeelError, ValidationError } from '../errors.js';

export const BACKUP_FORMAT_VERSION = 1;
export const BACKUP_PREFIX = 'backups/';
/** `20260315T101500Z`, optionally `-2`, `-3`… when two backups start in the same second. */
const BACKUP_ID = /^\d{8}T\d{6}Z(?:-\d{1,3})?$/;

/** The only files a SQLite backup holds; a restore writes exactly these names in the data folder. */
export const SQLITE_FILE_NAMES = ['keel.db', 'jobs.db'] as const;
export const POSTGRES_FILE_NAME = 'postgres.dump';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256');
const byteCount = z.number().int().nonnegative();

const backupFileSchema = z.object({
  name: z.enum([...SQLITE_FILE_NAMES, POSTGRES_FILE_NAME]),
  key: z.string(),
  /** The stored object: its size and SHA-256 exactly as in the blob store. */
  size: byteCount,
  sha256,
  /** `gzip` for SQLite files; a custom-format pg_dump compresses itself. */
  encoding: z.enum(['gzip', 'identity']),
  /** The database file once decompressed, so a restore can prove it got the original bytes. */
  contentSize: byteCount,
  contentSha256: sha256,
});

const manifestSchema = z
  .object({
    format: z.literal('keel-backup'),
    formatVersion: z.literal(BACKUP_FORMAT_VERSION),
    id: z.string().regex(BACKUP_ID),
    createdAt: z.iso.datetime(),
    keelVersion: z.string(),
    dialect: z.enum(['sqlite', 'postgres']),
    /** Where the data came from, without credentials: a file name or `postgres://host/db`. */
    source: z.string(),
    schema: z.object({
      /** The newest applied migration of the store (`0007-invites-and-actors`), if any. */
      migration: z.string().nullable(),
      /** `PRAGMA user_version` of `jobs.db`, which versions its own table; absent without it. */
      jobsVersion: z.number().int().nonnegative().optional(),
    }),
    files: z.array(backupFileSchema).min(1),
  })
  .superRefine((manifest, context) => {
    const names = new Set<string>();
    for (const [index, file] of manifest.files.entries()) {
      if (file.key !== `${backupFolder(manifest.id)}${file.name}${extensionOf(file.encoding)}`) {
        context.addIssue({
          code: 'custom',
          path: ['files', index, 'key'],
          message: 'must be the file name inside the backup folder',
        });
      }
      if (names.has(file.name)) {
        context.addIssue({ code: 'custom', path: ['files', index, 'name'], message: 'repeated' });
      }
      names.add(file.name);
    }
  });

export type BackupManifest = z.infer<typeof manifestSchema>;
export type BackupFile = BackupManifest['files'][number];
export type BackupDialect = BackupManifest['dialect'];

export function extensionOf(encoding: BackupFile['encoding']): string {
  return encoding === 'gzip' ? '.gz' : '';
}

export function backupFolder(id: string): string {
  return `${BACKUP_PREFIX}${id}/`;
}

export function manifestKey(id: string): string {
  return `${backupFolder(id)}manifest.json`;
}

/** Throws `backup_id_invalid` for anything that is not an id Keel issues (before any I/O). */
export function assertBackupId(id: string): void {
  if (!BACKUP_ID.test(id)) {
    throw new ValidationError(
      'backup_id_invalid',
      `${JSON.stringify(id)} is not a backup id (they look like 20260315T101500Z; see keel backup list)`,
    );
  }
}

/** The id a backup started at `date` gets: its UTC time to the second, plus `-n` when taken. */
export function backupIdFor(date: Date, attempt = 1): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return attempt === 1 ? stamp : `${stamp}-${attempt}`;
}

/** Parses a stored manifest; anything malformed is `backup_manifest_invalid`, naming the field. */
export function parseManifest(text: string, key: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw manifestInvalid(key, 'it is not JSON');
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw manifestInvalid(key, `${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? ''}`);
  }
  return parsed.data;
}

function manifestInvalid(key: string, reason: string): KeelError {
  return new KeelError(
    'backup_manifest_invalid',
    `Backup manifest ${key} is invalid: ${reason}`,
    422,
    {
      key,
      reason,
    },
  );
}

/** The manifest as stored: validated first, so Keel never writes one it would refuse to read. */
export function serializeManifest(manifest: BackupManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifestSchema.parse(manifest), null, 2)}\n`);
}
