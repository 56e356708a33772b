import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { QUEUE_DEFAULTS, QUEUE_NAMES, type QueueName } from '../contracts.js';
import { RETENTION_MS } from '../runtime/enqueue.js';
import {
  type JobSchedule,
  type JobSchedules,
  type NewJobSchedule,
  type ScheduleListFilter,
  prepareSchedule,
  scheduleNotFound,
  scheduleWorkspace,
} from '../schedules.js';

/** A definition as kept in the Redis hash: what BullMQ's scheduler is rebuilt from on resume. */
const definitionSchema = z.object({
  id: z.string(),
  queue: z.enum(QUEUE_NAMES),
  payload: z.record(z.string(), z.unknown()),
  cron: z.string(),
  timezone: z.string(),
  paused: z.boolean(),
  createdAt: z.string(),
});
type Definition = z.infer<typeof definitionSchema>;

export interface BullmqSchedulesHost {
  connection: Redis;
  prefix: string;
  accepts: readonly QueueName[];
  queue(name: QueueName): Queue;
  /** Wraps a Redis call: a bounded wait, then 503 `dependency_unavailable`. */
  call<T>(operation: string, command: () => Promise<T>): Promise<T>;
}

/**
 * Schedules of the BullMQ queue: each active schedule is a BullMQ job scheduler
 * (`upsertJobScheduler`) in its queue, which keeps exactly one delayed job for the next tick and
 * adds the following one when a worker takes it, so several workers still run one job per tick.
 * BullMQ has no paused scheduler, so the definitions live in a hash of their own
 * (`<prefix>:keel-schedules`); pausing removes the scheduler and keeps the definition.
 */
export class BullmqJobSchedules implements JobSchedules {
  constructor(private readonly host: BullmqSchedulesHost) {}

  private get key(): string {
    return `${this.host.prefix}:keel-schedules`;
  }

  async upsert<Q extends QueueName>(schedule: NewJobSchedule<Q>): Promise<JobSchedule<Q>> {
    const prepared = prepareSchedule(this.host.accepts, schedule);
    const existing = await this.definition(prepared.id);
    if (existing && existing.queue !== prepared.queue) await this.stop(existing);
    const definition: Definition = {
      id: prepared.id,
      queue: prepared.queue,
      payload: prepared.payload as Record<string, unknown>,
      cron: prepared.cron,
      timezone: prepared.timezone,
      paused: existing?.paused ?? false,
      createdAt: existing?.createdAt ?? new Date().toISOString(),
    };
    await this.save(definition);
    if (!definition.paused) await this.start(definition);
    return (await this.view(definition)) as JobSchedule<Q>;
  }

  async get(id: string): Promise<JobSchedule | undefined> {
    const definition = await this.definition(id);
    return definition && this.view(definition);
  }

  async list(filter: ScheduleListFilter = {}): Promise<JobSchedule[]> {
    const all = await this.host.call('list schedules', () => this.host.connection.hvals(this.key));
    const schedules = await Promise.all(
      all.map((text) => this.view(definitionSchema.parse(JSON.parse(text)))),
    );
    return schedules
      .filter(
        (schedule) => !filter.workspaceId || scheduleWorkspace(schedule) === filter.workspaceId,
      )
      .sort((left, right) => left.id.localeCompare(right.id));
  }

  async pause(id: string): Promise<JobSchedule> {
    const definition = await this.require(id);
    await this.stop(definition);
    const paused = { ...definition, paused: true };
    await this.save(paused);
    return this.view(paused);
  }

  async resume(id: string): Promise<JobSchedule> {
    const definition = await this.require(id);
    const resumed = { ...definition, paused: false };
    await this.save(resumed);
    await this.start(resumed);
    return this.view(resumed);
  }

  async delete(id: string): Promise<void> {
    const definition = await this.require(id);
    await this.stop(definition);
    await this.host.call('delete schedule', () => this.host.connection.hdel(this.key, id));
  }

  private async start(definition: Definition): Promise<void> {
    const defaults = QUEUE_DEFAULTS[definition.queue];
    await this.host.call('start schedule', () =>
      this.host.queue(definition.queue).upsertJobScheduler(
        definition.id,
        { pattern: definition.cron, tz: definition.timezone },
        {
          // The job's name is its queue, as for every job this adapter adds.
          name: definition.queue,
          data: definition.payload,
          opts: {
            attempts: defaults.attempts,
            backoff: { type: 'exponential', delay: defaults.backoffMs, jitter: 0.5 },
            removeOnComplete: { age: RETENTION_MS.completed / 1000 },
            removeOnFail: { age: RETENTION_MS.deadOrCancelled / 1000 },
          },
        },
      ),
    );
  }

  private async stop(definition: Definition): Promise<void> {
    await this.host.call('stop schedule', () =>
      this.host.queue(definition.queue).removeJobScheduler(definition.id),
    );
  }

  private async save(definition: Definition): Promise<void> {
    await this.host.call('save schedule', () =>
      this.host.connection.hset(this.key, definition.id, JSON.stringify(definition)),
    );
  }

  private async definition(id: string): Promise<Definition | undefined> {
    const text = await this.host.call('read schedule', () =>
      this.host.connection.hget(this.key, id),
    );
    return text === null ? undefined : definitionSchema.parse(JSON.parse(text));
  }

  private async require(id: string): Promise<Definition> {
    const definition = await this.definition(id);
    if (!definition) throw scheduleNotFound(id);
    return definition;
  }

  private async view(definition: Definition): Promise<JobSchedule> {
    const scheduler = definition.paused
      ? undefined
      : await this.host.call('read schedule', () =>
          this.host.queue(definition.queue).getJobScheduler(definition.id),
        );
    return {
      id: definition.id,
      queue: definition.queue,
      payload: definition.payload as JobSchedule['payload'],
      cron: definition.cron,
      timezone: definition.timezone,
      paused: definition.paused,
      nextRunAt: scheduler?.next ? new Date(scheduler.next).toISOString() : null,
      // BullMQ keeps only the next tick; the jobs themselves tell when earlier ones ran.
      lastRunAt: null,
      createdAt: definition.createdAt,
    };
  }
}
