import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { ConflictError, UpstreamError } from '../errors.js';

/**
 * Copy everything in the step after the first: one step is one read transaction, so the copy is
 * one consistent snapshot. Under WAL it never blocks writers, whereas a copy in many small steps
 * starts over each time another process commits, and may never finish on a busy server.
 */
const ALL_PAGES = 0x7fffffff;

function failure(action: string, file: string, error: unknown): UpstreamError {
  return new UpstreamError(
    'database_unavailable',
    `Could not ${action} ${file}: ${(error as Error).message}`,
    { file },
    false,
    503,
  );
}

/**
 * Copies a live SQLite database with SQLite's online backup API, which reads through SQLite's
 * own locks and WAL; copying the file with fs could catch a half-written page or miss the WAL.
 * The copy is switched to a rollback journal so it is one self-contained file.
 */
export async function copyLiveDatabase(live: string, copy: string): Promise<void> {
  let source: BetterSqlite3.Database | undefined;
  try {
    source = new BetterSqlite3(live, { fileMustExist: true, timeout: 5000 });
    await source.backup(copy, { progress: () => ALL_PAGES });
  } catch (error) {
    throw failure('back up', live, error);
  } finally {
    source?.close();
  }
  const result = new BetterSqlite3(copy, { fileMustExist: true });
  try {
    result.pragma('journal_mode = DELETE');
  } finally {
    result.close();
  }
}

/**
 * Refuses when another connection, in this process or any other, has the database open. A
 * running `keel serve` or `keel worker` keeps its WAL connection open for its whole life, and
 * holds a shared lock on the WAL index while it does, so an exclusive lock is granted only when
 * no Keel is running on this file. On the way the WAL is folded into the file, which leaves the
 * file complete on its own (restore keeps it as `<name>.before-restore`).
 */
export function assertNotInUse(file: string): void {
  if (!existsSync(file)) return;
  const database = new BetterSqlite3(file, { fileMustExist: true, timeout: 0 });
  try {
    database.pragma('locking_mode = EXCLUSIVE');
    database.exec('BEGIN EXCLUSIVE');
    database.exec('COMMIT');
    database.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new ConflictError(
        'database_in_use',
        `${file} is open in another process (a running keel serve or keel worker?); stop every ` +
          'Keel process that uses this data folder, then run the restore again',
        { file },
      );
    }
    throw failure('lock', file, error);
  } finally {
    database.close();
  }
}

export interface SqliteFileFacts {
  /** `PRAGMA integrity_check` lines; `['ok']` when the file is whole. */
  integrity: string[];
  /** Newest applied Keel migration, or null when the file has none (e.g. `jobs.db`). */
  migration: string | null;
  userVersion: number;
}

/** Opens a copy read-only and reports what verification and the manifest need to know. */
export function inspectDatabase(file: string): SqliteFileFacts {
  const database = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = database
      .prepare<[], { integrity_check: string }>('pragma integrity_check')
      .all()
      .map((row) => row.integrity_check);
    const hasMigrations = database
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'")
      .get();
    // Migration names start with a zero-padded number, and Kysely applies them in name order.
    const latest = hasMigrations
      ? database
          .prepare<[], { name: string }>(
            'select name from kysely_migration order by name desc limit 1',
          )
          .get()
      : undefined;
    return {
      integrity,
      migration: latest?.name ?? null,
      userVersion: database.pragma('user_version', { simple: true }) as number,
    };
  } finally {
    database.close();
  }
}
