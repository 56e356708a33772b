import type { Config } from '../config/config.js';
import type { DatabaseBackup } from './database-backup.js';
import { PostgresBackup } from './postgres-backup.js';
import { SqliteBackup } from './sqlite-backup.js';

/**
 * The backup adapter for the database the configuration uses: PostgreSQL when `DATABASE_URL` is
 * set, else the SQLite files in `KEEL_DATA_DIR` (the same choice `openStorage` makes).
 *
 * @example
 *   const backups = new BackupService({ blobs, database: openDatabaseBackup(config) });
 */
export function openDatabaseBackup(
  config: Pick<Config, 'dataDir' | 'database'>,
  options: { postgresBinDir?: string } = {},
): DatabaseBackup {
  const url = config.database.url;
  return url ? new PostgresBackup(url, options.postgresBinDir) : new SqliteBackup(config.dataDir);
}
