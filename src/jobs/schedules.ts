import { CronExpressionParser } from 'cron-parser';
import { NotFoundError, ValidationError } from '../errors.js';
import { type JobPayloads, type QueueName, parsePayload } from './contracts.js';

/**
 * Recurring jobs: a cron expression in a time zone that enqueues one job of a queue per tick.
 * Both queue adapters implement the port (`JobQueue.schedules`): BullMQ with its job schedulers,
 * the SQLite queue with a claim per tick inside one transaction. Either way exactly one job runs
 * per tick however many workers there are; a tick missed while no worker ran is not made up for
 * (the next run is the next tick after now).
 *
 * Expressions are standard five-field cron (minute … weekday), or six fields with seconds first;
 * the `@hourly`, `@daily`… shorthands are accepted. Parsed by `cron-parser`, which BullMQ uses too,
 * so both adapters agree on every tick.
 */
export interface JobSchedule<Q extends QueueName = QueueName> {
  id: string;
  queue: Q;
  payload: JobPayloads[Q];
  cron: string;
  /** IANA zone the expression is read in (`Europe/Paris`); `UTC` by default. */
  timezone: string;
  paused: boolean;
  /** The next tick, or null while paused. */
  nextRunAt: string | null;
  /** The last tick that enqueued a job, when the adapter knows it. */
  lastRunAt: string | null;
  createdAt: string;
}

export interface NewJobSchedule<Q extends QueueName = QueueName> {
  id: string;
  queue: Q;
  payload: JobPayloads[Q];
  cron: string;
  timezone?: string;
}

export interface ScheduleListFilter {
  /** Schedules whose payload names this workspace: what a non-admin may see. */
  workspaceId?: string;
}

/**
 * The schedules of a job queue.
 *
 * @example
 *   await jobs.schedules.upsert({ id: 'nightly-forecast', queue: 'predictions', cron: '0 3 * * *',
 *     timezone: 'Europe/Paris', payload: { workspaceId, seriesId: 'views', horizon: 7 } });
 */
export interface JobSchedules {
  /** Creates the schedule, or replaces the one with the same id (keeping it paused if it was). */
  upsert<Q extends QueueName>(schedule: NewJobSchedule<Q>): Promise<JobSchedule<Q>>;
  get(id: string): Promise<JobSchedule | undefined>;
  /** Ordered by id. */
  list(filter?: ScheduleListFilter): Promise<JobSchedule[]>;
  /** No more ticks until `resume`; the definition is kept. */
  pause(id: string): Promise<JobSchedule>;
  resume(id: string): Promise<JobSchedule>;
  /** Removes the schedule; jobs it already enqueued are left alone. Throws when unknown. */
  delete(id: string): Promise<void>;
}

/** Letters, digits, `-` and `_`: it becomes part of job ids and Redis keys. */
export const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const DEFAULT_TIMEZONE = 'UTC';

export function scheduleNotFound(id: string): NotFoundError {
  return new NotFoundError('schedule_not_found', `No schedule ${id}`, { scheduleId: id });
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The tick after `after` (exclusive), in `timezone`. Throws a ValidationError naming the field
 * for an expression or zone that cannot be read.
 *
 * @example
 *   nextTick('0 3 * * *', 'Europe/Paris', new Date('2026-01-01T12:00:00Z')); // 2026-01-02T02:00Z
 */
export function nextTick(cron: string, timezone: string, after: Date): Date {
  if (!isTimeZone(timezone)) {
    throw new ValidationError('invalid_timezone', `Unknown time zone "${timezone}"`, {
      field: 'timezone',
      timezone,
    });
  }
  try {
    const expression = CronExpressionParser.parse(cron, { tz: timezone, currentDate: after });
    return expression.next().toDate();
  } catch (error) {
    throw new ValidationError('invalid_cron', `Cannot read the cron expression "${cron}"`, {
      field: 'cron',
      cron,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Checks a new schedule the same way in every adapter; returns it as stored. */
export function prepareSchedule<Q extends QueueName>(
  accepts: readonly QueueName[],
  schedule: NewJobSchedule<Q>,
): Required<NewJobSchedule<Q>> & { firstRunAt: Date } {
  if (!SCHEDULE_ID.test(schedule.id)) {
    throw new ValidationError(
      'invalid_schedule_id',
      'A schedule id is 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      { id: schedule.id },
    );
  }
  if (!accepts.includes(schedule.queue)) {
    throw new ValidationError(
      'queue_not_available',
      `Queue "${schedule.queue}" is not offered here (no processor for it is configured)`,
      { queue: schedule.queue, available: accepts },
    );
  }
  const cron = schedule.cron.trim().replace(/\s+/g, ' ');
  const timezone = schedule.timezone ?? DEFAULT_TIMEZONE;
  const firstRunAt = nextTick(cron, timezone, new Date());
  return {
    id: schedule.id,
    queue: schedule.queue,
    payload: parsePayload(schedule.queue, schedule.payload),
    cron,
    timezone,
    firstRunAt,
  };
}

/** The id of the job a schedule enqueues for one tick: the same in every process that races. */
export function scheduledJobId(scheduleId: string, tickMs: number): string {
  return `schedule-${scheduleId}-${tickMs}`;
}

export const scheduleWorkspace = (schedule: Pick<JobSchedule, 'payload'>) => {
  const workspaceId = (schedule.payload as { workspaceId?: unknown }).workspaceId;
  return typeof workspaceId === 'string' ? workspaceId : undefined;
};
