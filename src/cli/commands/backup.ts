import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { openBlobStore } from '../../blobs/open-blob-store.js';
import { type Config, loadConfig } from '../../config/config.js';
import { KeelError, ValidationError } from '../../errors.js';
import type { BackupManifest } from '../../backup/backup-manifest.js';
import { BackupService, type Verification } from '../../backup/backup-service.js';
import { openDatabaseBackup } from '../../backup/open-database-backup.js';
import { printJson } from '../context.js';

/**
 * Only the blob store and the database files are opened, never the store itself: opening it
 * would apply pending migrations, and a backup taken before an upgrade must be of the old schema.
 */
async function withBackups<T>(run: (backups: BackupService, config: Config) => Promise<T>) {
  const config = loadConfig();
  const blobs = await openBlobStore(config, { createBucket: config.profile === 'development' });
  try {
    return await run(new BackupService({ blobs, database: openDatabaseBackup(config) }), config);
  } finally {
    await blobs.close();
  }
}

function blobLocation(config: Config): string {
  const s3 = config.blobs.s3;
  return s3 ? `S3 bucket ${s3.bucket}` : join(config.dataDir, 'blobs');
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

const totalSize = (manifest: BackupManifest) =>
  manifest.files.reduce((sum, file) => sum + file.size, 0);

const keepSchema = z.coerce.number().int().min(1).max(10_000).optional();

function parseKeep(raw: unknown): number | undefined {
  const parsed = keepSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError('invalid_option', '--keep: a whole number of backups, at least 1');
  }
  return parsed.data;
}

function printVerification(verification: Verification): void {
  const { manifest } = verification;
  console.log(`Backup ${manifest.id} (${manifest.dialect}, made ${manifest.createdAt}):`);
  for (const line of verification.passed) console.log(`  ✓ ${line}`);
  for (const line of verification.problems) console.log(`  ✗ ${line}`);
}

function backupInvalid(verification: Verification): KeelError {
  const count = verification.problems.length;
  return new KeelError(
    'backup_invalid',
    `Backup ${verification.manifest.id} failed verification (${count} problem${count === 1 ? '' : 's'})`,
    422,
    { problems: verification.problems },
  );
}

function listCommand(): Command {
  return new Command('list')
    .description('List complete backups, newest first: id, time, database, size')
    .option('--json', 'as JSON (the manifests)')
    .action(async (options: { json?: boolean }) => {
      await withBackups(async (backups) => {
        const { backups: manifests, unreadable } = await backups.list();
        if (options.json) return printJson({ backups: manifests, unreadable });
        if (manifests.length === 0 && unreadable.length === 0) console.log('No backups yet.');
        for (const manifest of manifests) {
          const files = manifest.files.map((file) => file.name).join(', ');
          console.log(
            `${manifest.id}  ${manifest.createdAt}  ${manifest.dialect}  ` +
              `${formatBytes(totalSize(manifest))}  ${files}  Keel ${manifest.keelVersion}`,
          );
        }
        for (const { id, reason } of unreadable) console.log(`${id}  unreadable: ${reason}`);
      });
    });
}

function verifyCommand(): Command {
  return new Command('verify')
    .description('Download a backup and check every file against its manifest (default: newest)')
    .argument('[id]', 'backup id (see keel backup list)')
    .option('--json', 'as JSON')
    .action(async (id: string | undefined, options: { json?: boolean }) => {
      await withBackups(async (backups) => {
        const verification = await backups.verify(id);
        if (options.json) printJson(verification);
        else printVerification(verification);
        if (!verification.ok) throw backupInvalid(verification);
        if (!options.json) console.log(`Backup ${verification.manifest.id} is intact.`);
      });
    });
}

/**
 * `keel backup [--keep N]`, `keel backup list`, `keel backup verify [ID]`: copies of the database
 * in the blob store (the data folder's `blobs/`, or S3 with `S3_ENDPOINT`).
 */
export function backupCommand(): Command {
  // No `--json` here: commander gives an option after `list` or `verify` to the parent when both
  // declare it, unless the whole program parses options positionally.
  return new Command('backup')
    .option('--keep <n>', 'then delete all but the newest N backups')
    .action(async (options: { keep?: string }) => {
      const keep = parseKeep(options.keep);
      await withBackups(async (backups, config) => {
        const manifest = await backups.create();
        const pruned = keep === undefined ? [] : await backups.prune(keep);
        const files = manifest.files.map((file) => file.name).join(', ');
        console.log(
          `Backed up ${manifest.dialect} (${files}; ${formatBytes(totalSize(manifest))}) to ` +
            `backups/${manifest.id}/ in ${blobLocation(config)}.`,
        );
        if (pruned.length > 0) console.log(`Deleted older backups: ${pruned.join(', ')}`);
        console.log(`Backup id: ${manifest.id}`);
      });
    })
    .addCommand(listCommand())
    .addCommand(verifyCommand());
}

/** `keel restore ID --yes`: verifies the backup, then replaces the database with it. */
export function restoreCommand(): Command {
  return new Command('restore')
    .argument('<id>', 'backup id (see keel backup list)')
    .option('--yes', 'really replace the current database')
    .action(async (id: string, options: { yes?: boolean }) => {
      await withBackups(async (backups) => {
        if (!options.yes) {
          throw new ValidationError(
            'confirmation_required',
            `${await backups.describeRestore(id)} Run again with --yes to restore.`,
          );
        }
        const { manifest, passed, notes } = await backups.restore(id);
        for (const line of passed) console.log(`  ✓ ${line}`);
        console.log(
          `Restored backup ${manifest.id} (${manifest.dialect}, made ${manifest.createdAt}).`,
        );
        for (const note of notes) console.log(note);
      });
    });
}
