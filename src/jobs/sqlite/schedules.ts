import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import type { JobPayloads, QueueName } from '../contracts.js';
import { prepareEnqueue } from '../runtime/enqueue.js';
import { describeError } from '../runtime/errors.js';
import { iso } from './records.js';
import {
  type JobSchedule,
  type JobSchedules,
  type NewJobSchedule,
  type ScheduleListFilter,
  nextTick,
  prepareSchedule,
  scheduleNotFound,
  scheduledJobId,
} from '../schedules.js';

/** The schedules table, in `jobs.db` beside the jobs it enqueues (migration 2 of that file). */
export const SCHEDULES_SCHEMA = `
  create table if not exists schedules (
    id text primary key,
    queue text not null,
    payload text not null,
    cron text not null,
    timezone text not null,
    paused integer not null default 0,
    next_run_at integer,
    last_run_at integer,
    created_at integer not null
  );
  create index if not exists schedules_due on schedules (next_run_at) where paused = 0;
`;

interface ScheduleRow {
  id: string;
  queue: QueueName;
  payload: string;
  cron: string;
  timezone: string;
  paused: number;
  next_run_at: number | null;
  last_run_at: number | null;
  created_at: number;
}

function toSchedule(row: ScheduleRow): JobSchedule {
  return {
    id: row.id,
    queue: row.queue,
    payload: JSON.parse(row.payload) as JobPayloads[QueueName],
    cron: row.cron,
    timezone: row.timezone,
    paused: row.paused === 1,
    nextRunAt: row.paused === 1 ? null : iso(row.next_run_at),
    lastRunAt: iso(row.last_run_at),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function prepare(database: BetterSqlite3.Database) {
  return {
    upsert: database.prepare(`insert into schedules (id, queue, payload, cron, timezone,
      next_run_at, created_at) values (@id, @queue, @payload, @cron, @timezone, @nextRunAt, @now)
      on conflict (id) do update set queue = excluded.queue, payload = excluded.payload,
        cron = excluded.cron, timezone = excluded.timezone, next_run_at = excluded.next_run_at`),
    get: database.prepare<[string], ScheduleRow>('select * from schedules where id = ?'),
    list: database.prepare<Record<string, unknown>, ScheduleRow>(`select * from schedules
      where (@workspace is null or json_extract(payload, '$.workspaceId') = @workspace)
      order by id`),
    setPaused: database.prepare(
      `update schedules set paused = @paused, next_run_at = @nextRunAt where id = @id`,
    ),
    delete: database.prepare('delete from schedules where id = ?'),
    anyDue: database.prepare<[{ now: number }], { id: string }>(
      `select id from schedules where paused = 0 and next_run_at <= @now limit 1`,
    ),
    due: database.prepare<[{ now: number }], ScheduleRow>(
      `select * from schedules where paused = 0 and next_run_at <= @now order by next_run_at`,
    ),
    advance: database.prepare(`update schedules set last_run_at = @tick, next_run_at = @next
      where id = @id and next_run_at = @tick`),
  };
}

/** Writes one job row; the queue's own insert, so a scheduled job is like any other. */
export type InsertJob = (job: ReturnType<typeof prepareEnqueue> & { id: string }) => void;

/**
 * Schedules of the SQLite queue. A worker calls `fireDue` on every pass of its claim loop: inside
 * one immediate transaction it enqueues the job of each due tick and moves the schedule to its
 * next tick, so of all the workers sharing the file exactly one enqueues each tick (the job id is
 * the tick's, too, so even a second insert would change nothing).
 */
export class SqliteJobSchedules implements JobSchedules {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly accepts: readonly QueueName[],
    private readonly insertJob: InsertJob,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {
    this.statements = prepare(database);
  }

  async upsert<Q extends QueueName>(schedule: NewJobSchedule<Q>): Promise<JobSchedule<Q>> {
    const prepared = prepareSchedule(this.accepts, schedule);
    const row = this.database
      .transaction(() => {
        const existing = this.statements.get.get(prepared.id);
        this.statements.upsert.run({
          id: prepared.id,
          queue: prepared.queue,
          payload: JSON.stringify(prepared.payload),
          cron: prepared.cron,
          timezone: prepared.timezone,
          nextRunAt: prepared.firstRunAt.getTime(),
          now: Date.now(),
        });
        if (existing?.paused === 1) {
          this.statements.setPaused.run({ id: prepared.id, paused: 1, nextRunAt: null });
        }
        return this.statements.get.get(prepared.id)!;
      })
      .immediate();
    return toSchedule(row) as JobSchedule<Q>;
  }

  async get(id: string): Promise<JobSchedule | undefined> {
    const row = this.statements.get.get(id);
    return row && toSchedule(row);
  }

  async list(filter: ScheduleListFilter = {}): Promise<JobSchedule[]> {
    return this.statements.list.all({ workspace: filter.workspaceId ?? null }).map(toSchedule);
  }

  async pause(id: string): Promise<JobSchedule> {
    this.row(id);
    this.statements.setPaused.run({ id, paused: 1, nextRunAt: null });
    return toSchedule(this.row(id));
  }

  async resume(id: string): Promise<JobSchedule> {
    const row = this.row(id);
    const nextRunAt = nextTick(row.cron, row.timezone, new Date()).getTime();
    this.statements.setPaused.run({ id, paused: 0, nextRunAt });
    return toSchedule(this.row(id));
  }

  async delete(id: string): Promise<void> {
    if (this.statements.delete.run(id).changes === 0) throw scheduleNotFound(id);
  }

  /** Enqueues the job of every due tick; returns how many were enqueued. */
  fireDue(now = Date.now()): number {
    // A plain read first: the write lock is taken only when some tick is due.
    if (!this.statements.anyDue.get({ now })) return 0;
    return this.database
      .transaction(() => {
        let fired = 0;
        for (const row of this.statements.due.all({ now })) {
          const tick = row.next_run_at!;
          try {
            const job = prepareEnqueue(this.accepts, row.queue, JSON.parse(row.payload), {
              jobId: scheduledJobId(row.id, tick),
            });
            this.insertJob({ ...job, id: job.jobId! });
            fired += 1;
          } catch (error) {
            // A payload an upgrade no longer accepts: skip the tick, keep the schedule.
            this.logger?.warn({ err: describeError(error), schedule: row.id }, 'schedule skipped');
          }
          // Ticks missed while no worker ran are not made up for: the next one is after now.
          const next = nextTick(row.cron, row.timezone, new Date(Math.max(now, tick))).getTime();
          this.statements.advance.run({ id: row.id, tick, next });
        }
        return fired;
      })
      .immediate();
  }

  private row(id: string): ScheduleRow {
    const row = this.statements.get.get(id);
    if (!row) throw scheduleNotFound(id);
    return row;
  }
}
