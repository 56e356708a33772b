import pg from 'pg';
import type { BlobStore } from '../blobs/blob-store.js';
import { ConflictError, UpstreamError } from '../errors.js';
import { postgresMigrations } from '../store/migrations/index.js';
import { describeDatabaseUrl } from '../store/open-storage.js';
import { type BackupManifest, POSTGRES_FILE_NAME } from './backup-manifest.js';
import { uploadStream } from './backup-streams.js';
import type {
  DatabaseBackup,
  DatabaseSnapshot,
  DownloadedFiles,
  SnapshotCheck,
} from './database-backup.js';
import {
  type LibpqConnection,
  databaseConninfo,
  libpqConnection,
  withoutSecrets,
} from './postgres-connection.js';
import { runPostgresTool, runPostgresToolForText } from './postgres-tools.js';

/**
 * Backups of the PostgreSQL database in `DATABASE_URL`: `pg_dump --format=custom` (compressed,
 * and what `pg_restore` reads selectively) streamed straight into the blob store, so the dump
 * never needs room on the local disk. pg_dump's snapshot is consistent while Keel keeps running.
 *
 * @example
 *   const database = new PostgresBackup(config.database.url);
 *   const { files } = await database.snapshot(blobs, 'backups/20260315T101500Z/');
 */
export class PostgresBackup implements DatabaseBackup {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly workParent = undefined;
  private readonly connection: LibpqConnection;

  constructor(
    private readonly url: string,
    private readonly binDir?: string,
  ) {
    this.connection = libpqConnection(url);
    this.location = describeDatabaseUrl(url);
  }

  async snapshot(blobs: BlobStore, folder: string): Promise<DatabaseSnapshot> {
    const migration = await this.currentMigration();
    const dump = runPostgresTool('pg_dump', ['--format=custom', '--no-password'], {
      binDir: this.binDir,
      connection: this.connection,
    });
    try {
      const key = `${folder}${POSTGRES_FILE_NAME}`;
      const [file] = await Promise.all([
        uploadStream(blobs, dump.stdout, key, POSTGRES_FILE_NAME),
        dump.done,
      ]);
      return { files: [file], schema: { migration } };
    } catch (error) {
      dump.stop();
      throw error;
    }
  }

  describeRestore(manifest: BackupManifest): string {
    return (
      `This replaces every table, sequence and function in the backup, in ${this.location}, with ` +
      `the backup from ${manifest.createdAt} (pg_restore --clean, in one transaction): everything ` +
      'written since then is lost. Stop every Keel process using this database first.'
    );
  }

  async restore(manifest: BackupManifest, files: DownloadedFiles): Promise<string[]> {
    const migration = manifest.schema.migration;
    if (migration !== null && !Object.hasOwn(postgresMigrations, migration)) {
      throw new ConflictError(
        'backup_schema_newer',
        `The backup's database is at migration ${migration}, which this version of Keel does ` +
          'not know: restore it with the Keel version that made it (see keel backup list)',
        { migration },
      );
    }
    const dump = files.get(POSTGRES_FILE_NAME);
    if (!dump) throw new ConflictError('backup_incomplete', 'The backup holds no postgres.dump');
    // One transaction: if any statement fails, the database is left exactly as it was.
    await runPostgresToolForText(
      'pg_restore',
      [
        '--clean',
        '--if-exists',
        '--no-owner',
        '--single-transaction',
        '--exit-on-error',
        '--no-password',
        // The name only (host, user and password travel in the environment); `--dbname` is what
        // makes pg_restore connect instead of printing SQL.
        `--dbname=${this.connection.database ? databaseConninfo(this.connection.database) : ''}`,
        dump,
      ],
      { binDir: this.binDir, connection: this.connection },
    );
    return [`Restored into ${this.location}.`];
  }

  /** The newest applied migration, from Kysely's table in Keel's schema (`search_path` first). */
  private async currentMigration(): Promise<string | null> {
    const client = new pg.Client({ connectionString: this.url });
    try {
      await client.connect();
      const table = await client.query<{ found: string | null }>(
        "select to_regclass('kysely_migration')::text as found",
      );
      if (!table.rows[0]?.found) return null;
      const latest = await client.query<{ name: string }>(
        'select name from kysely_migration order by name desc limit 1',
      );
      return latest.rows[0]?.name ?? null;
    } catch (error) {
      throw new UpstreamError(
        'database_unavailable',
        `Cannot read PostgreSQL at ${this.location}: ${withoutSecrets((error as Error).message, this.connection.secrets)}`,
        { dependency: 'postgresql' },
        true,
        503,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Checks a downloaded dump with `pg_restore --list`, which reads the whole table of contents
 * without a server: a truncated or foreign file fails, and a Keel dump must list its migrations.
 */
export async function checkPostgresDump(
  manifest: BackupManifest,
  files: DownloadedFiles,
  binDir?: string,
): Promise<SnapshotCheck> {
  const dump = files.get(POSTGRES_FILE_NAME);
  if (!dump) return { problems: ['the backup holds no postgres.dump'], passed: [] };
  let listing: string;
  try {
    listing = await runPostgresToolForText('pg_restore', ['--list', dump], { binDir });
  } catch (error) {
    if ((error as { code?: string }).code === 'pg_restore_missing') throw error;
    return {
      problems: [`postgres.dump is not a readable dump: ${(error as Error).message}`],
      passed: [],
    };
  }
  const entries = listing.split('\n').filter((line) => /^\d+;/.test(line));
  const problems: string[] = [];
  if (manifest.schema.migration !== null && !/ TABLE DATA \S+ kysely_migration /.test(listing)) {
    problems.push("postgres.dump has no data for Keel's migrations table (kysely_migration)");
  }
  return {
    problems,
    passed: problems.length ? [] : [`pg_restore --list reads ${entries.length} entries`],
  };
}
