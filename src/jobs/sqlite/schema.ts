import type BetterSqlite3 from 'better-sqlite3';
import { SCHEDULES_SCHEMA } from './schedules.js';

/**
 * The jobs table lives in its own file (`jobs.db` beside `keel.db`), not in the store's: SQLite
 * has one writer per file, and a knowledge sync writes in long transactions; sharing the file
 * would make claims and heartbeats wait behind it until leases expire for no reason. Its own file
 * also lets a worker open the queue without the store, and keeps this migration self-contained
 * (`user_version` counts it). Times are epoch milliseconds.
 */
const JOBS_SCHEMA = `
  create table if not exists jobs (
    id text primary key,
    queue text not null,
    payload text not null,
    state text not null,
    priority integer not null default 0,
    attempts integer not null default 0,
    max_attempts integer not null,
    backoff_ms integer not null,
    run_at integer not null,
    lease_token text,
    lease_until integer,
    cancel_requested integer not null default 0,
    progress real not null default 0,
    progress_message text,
    result text,
    error text,
    created_at integer not null,
    started_at integer,
    finished_at integer
  );
  create index if not exists jobs_ready on jobs (priority, run_at) where state in ('queued', 'failed');
  create index if not exists jobs_leases on jobs (lease_until) where state = 'running';
  create index if not exists jobs_by_state on jobs (state, created_at);
  create index if not exists jobs_by_queue on jobs (queue, created_at);
`;

/** The file's migrations in order; `user_version` counts those applied. */
const MIGRATIONS = [JOBS_SCHEMA, SCHEDULES_SCHEMA, 'alter table jobs add column trace text;'];

export function migrate(database: BetterSqlite3.Database): void {
  // Immediate: two processes opening a fresh file at once migrate it once.
  database
    .transaction(() => {
      const applied = database.pragma('user_version', { simple: true }) as number;
      for (const [index, migration] of MIGRATIONS.entries()) {
        if (index < applied) continue;
        database.exec(migration);
      }
      database.pragma(`user_version = ${MIGRATIONS.length}`);
    })
    .immediate();
}
