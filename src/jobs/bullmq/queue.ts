import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ConflictError } from '../../errors.js';
import { RedisUnavailableError, redisAvailable } from '../../redis/connection.js';
import { type JobPayloads, QUEUE_NAMES, type QueueName } from '../contracts.js';
import type {
  EnqueueOptions,
  JobEvent,
  JobListFilter,
  JobProcessors,
  JobQueue,
  JobRecord,
  JobWorker,
  QueueDepth,
  WorkOptions,
} from '../queue.js';
import { processorFor } from '../runtime/attempt.js';
import { emptyDepth } from '../runtime/depth.js';
import { RETENTION_MS, prepareEnqueue } from '../runtime/enqueue.js';
import { jobNotFound, notRetryable } from '../runtime/errors.js';
import { followJob } from '../runtime/follow-job.js';
import { DEFAULT_LEASE_MS } from '../runtime/running-jobs.js';
import { BullmqConnections, redisCall } from './connections.js';
import { BullmqJobEvents } from './events.js';
import { BullmqJobSchedules } from './schedules.js';
import { ALL_BULL_STATES, BULL_STATES, type BullJob, toRecord } from './states.js';
import { BullmqJobWorker } from './worker.js';

const workspaceOf = (record: JobRecord) =>
  (record.payload as { workspaceId?: unknown }).workspaceId;

export interface BullmqJobQueueOptions {
  url: string;
  /** Queues this handle takes jobs for (`AVAILABLE_QUEUES` from the registry). */
  accepts: readonly QueueName[];
  /** Key prefix of every key written; default `keel`. */
  prefix?: string;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * The server adapter: one BullMQ queue per name in Redis. Retries and backoff are BullMQ's
 * (exponential, jitter ½), the dead-letter state is BullMQ's `failed` set (kept 30 days), progress
 * is `job.updateProgress`, events come from each queue's event stream (QueueEvents), so a client
 * on any API replica hears a job run by any worker.
 *
 * Cancellation is a Redis key per job that the worker polls: BullMQ can abort a running job only
 * from inside the worker process that holds it (`worker.cancelJob`), and the API that receives the
 * cancel is another process. A queued job is cancelled by the same key; the first worker to pick
 * it up ends it without running it.
 *
 * Redis outages never crash the process: connections reconnect forever, producer calls answer
 * 503 `dependency_unavailable` within 3 s, and workers resume when Redis is back.
 *
 * @example
 *   const jobs = BullmqJobQueue.open({ url: config.redis.url, accepts: AVAILABLE_QUEUES, logger });
 */
export class BullmqJobQueue implements JobQueue {
  private readonly redis: BullmqConnections;
  private readonly jobEvents: BullmqJobEvents;
  private readonly workers = new Set<BullmqJobWorker>();
  readonly schedules: BullmqJobSchedules;

  private constructor(private readonly options: BullmqJobQueueOptions) {
    this.redis = new BullmqConnections(options.url, options.prefix ?? 'keel', options.logger);
    this.jobEvents = new BullmqJobEvents(this.redis);
    this.schedules = new BullmqJobSchedules({
      connection: this.redis.connection,
      prefix: this.redis.prefix,
      accepts: options.accepts,
      queue: (name) => this.redis.queue(name),
      call: redisCall,
    });
  }

  static open(options: BullmqJobQueueOptions): BullmqJobQueue {
    return new BullmqJobQueue(options);
  }

  /** The fail-fast connection (readiness, tests waiting for Redis). */
  get connection() {
    return this.redis.connection;
  }

  async enqueue<Q extends QueueName>(
    queue: Q,
    payload: JobPayloads[Q],
    options?: EnqueueOptions,
  ): Promise<JobRecord<Q>> {
    const job = prepareEnqueue(this.options.accepts, queue, payload, options);
    const id = job.jobId ?? randomUUID();
    const holder = await redisCall('locate job', () => this.redis.locate(id));
    if (holder && holder !== queue) {
      throw new ConflictError('job_id_conflict', `Job id ${id} is taken by queue ${holder}`, {
        jobId: id,
      });
    }
    // With an id BullMQ already holds, `add` changes nothing: that is the idempotency.
    await redisCall('enqueue job', () =>
      this.redis.queue(queue).add(queue, job.payload, {
        jobId: id,
        delay: job.delayMs,
        attempts: job.attempts,
        backoff: { type: 'exponential', delay: job.backoffMs, jitter: 0.5 },
        ...(job.priority > 0 && { priority: job.priority }),
        removeOnComplete: { age: RETENTION_MS.completed / 1000 },
        removeOnFail: { age: RETENTION_MS.deadOrCancelled / 1000 },
        // BullMQ's own field for propagated context; Keel fills and reads it itself.
        ...(Object.keys(job.trace).length > 0 && {
          telemetry: { metadata: JSON.stringify(job.trace) },
        }),
      }),
    );
    const record = await this.get(id);
    if (!record) throw jobNotFound(id);
    return record as JobRecord<Q>;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return redisCall('read job', async () => {
      const queue = await this.redis.locate(id);
      if (!queue) return undefined;
      const [job, state, flag] = await Promise.all([
        this.redis.queue(queue).getJob(id) as Promise<BullJob | undefined>,
        this.redis.queue(queue).getJobState(id),
        this.redis.connection.exists(this.redis.cancelKey(id)),
      ]);
      return job && state !== 'unknown' ? toRecord(job, state, flag === 1) : undefined;
    });
  }

  async list(filter: JobListFilter = {}): Promise<JobRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const states = filter.state ? BULL_STATES[filter.state] : ALL_BULL_STATES;
    const queues = filter.queue ? [filter.queue] : QUEUE_NAMES;
    // The workspace is inside the payload, which Redis cannot filter on: read a wider window.
    const window = filter.workspaceId ? 500 : limit;
    const records = await redisCall('list jobs', async () => {
      const pages = queues.flatMap((queue) =>
        states.map(async (bullState) => {
          const jobs = (await this.redis
            .queue(queue)
            .getJobs([bullState], 0, window - 1)) as BullJob[];
          const flags = jobs.length
            ? await this.redis.connection.mget(jobs.map((job) => this.redis.cancelKey(job.id!)))
            : [];
          return jobs.map((job, index) => toRecord(job, bullState, flags[index] !== null));
        }),
      );
      return (await Promise.all(pages)).flat();
    });
    return records
      .filter((record) => !filter.state || record.state === filter.state)
      .filter((record) => !filter.workspaceId || workspaceOf(record) === filter.workspaceId)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  async cancel(id: string): Promise<JobRecord> {
    const before = await this.get(id);
    if (!before) throw jobNotFound(id);
    if (before.state === 'completed' || before.state === 'dead' || before.state === 'cancelled') {
      return before;
    }
    const expiresIn = RETENTION_MS.deadOrCancelled / 1000;
    await redisCall('cancel job', () =>
      this.redis.connection.set(this.redis.cancelKey(id), '1', 'EX', expiresIn),
    );
    for (const worker of this.workers) worker.running.interrupt(id, 'cancelled');
    const after = (await this.get(id)) ?? before;
    if (after.state === 'cancelled') {
      // A delayed job would otherwise wait out its delay before a worker closes it.
      const job = await redisCall('read job', () => this.redis.queue(after.queue).getJob(id));
      await job?.promote().catch(() => undefined);
      await this.jobEvents.announceCancelled(after.queue, id);
    }
    return after;
  }

  async retry(id: string): Promise<JobRecord> {
    const record = await this.get(id);
    if (!record) throw jobNotFound(id);
    if (record.state !== 'dead' && record.state !== 'cancelled') throw notRetryable(record);
    await redisCall('retry job', async () => {
      await this.redis.connection.del(this.redis.cancelKey(id));
      const job = (await this.redis.queue(record.queue).getJob(id)) as BullJob | undefined;
      if ((await job?.getState()) === 'failed') {
        // BullMQ keeps the count of leases that ran out (see BullmqJobEvents.announceRetry).
        await this.redis.connection.hdel(this.redis.queue(record.queue).toKey(id), 'stc');
        await job!.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
    });
    return (await this.get(id)) ?? record;
  }

  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    return this.jobEvents.subscribe(id, listener);
  }

  events(id: string, options: { signal?: AbortSignal } = {}): AsyncIterable<JobEvent> {
    return followJob(this, id, options);
  }

  work(
    queues: readonly QueueName[],
    processors: JobProcessors,
    options: WorkOptions = {},
  ): JobWorker {
    for (const queue of queues) processorFor(processors, queue);
    const worker: BullmqJobWorker = new BullmqJobWorker(this.redis, queues, processors, {
      concurrency: options.concurrency ?? 1,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      onClosed: () => this.workers.delete(worker),
    });
    this.workers.add(worker);
    return worker;
  }

  async depth(): Promise<QueueDepth[]> {
    const depth = emptyDepth(this.options.accepts);
    for (const queue of this.options.accepts) {
      // Retries wait in `delayed`; BullMQ's `failed` set is our dead letter.
      const counts = await redisCall('count jobs', () =>
        this.redis
          .queue(queue)
          .getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed'),
      );
      const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
      for (const entry of depth.filter((item) => item.queue === queue)) {
        entry.count =
          entry.state === 'waiting'
            ? waiting
            : entry.state === 'running'
              ? (counts.active ?? 0)
              : (counts.failed ?? 0);
      }
    }
    return depth;
  }

  async ping(): Promise<void> {
    if (!(await redisAvailable(this.connection))) {
      throw new RedisUnavailableError('ping', new Error('no answer to PING'));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close({ graceful: true })));
    await this.jobEvents.close();
    await this.redis.close();
  }
}
