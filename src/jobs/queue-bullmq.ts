import { randomUUID } from 'node:crypto';
import {
  type Job,
  Queue,
  QueueEvents,
  type QueueEventsListener,
  QueueEventsProducer,
  UnrecoverableError,
  WaitingError,
  Worker,
} from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConflictError } from '../errors.js';
import {
  RedisUnavailableError,
  callRedis,
  closeRedisConnection,
  createRedisConnection,
  redisAvailable,
} from '../redis/connection.js';
import { type JobPayloads, QUEUE_NAMES, type QueueName } from './contracts.js';
import {
  type AttemptOutcome,
  CANCELLED_MESSAGE,
  type CloseOptions,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_LEASE_MS,
  type EnqueueOptions,
  type JobEvent,
  type JobListFilter,
  type JobProcessors,
  type JobQueue,
  type JobRecord,
  type JobState,
  type JobWorker,
  LEASE_EXPIRED_MESSAGE,
  type QueueDepth,
  RETENTION_MS,
  RunningJobs,
  type WorkOptions,
  checkProgress,
  emptyDepth,
  followJob,
  jobNotFound,
  notRetryable,
  prepareEnqueue,
  processorFor,
  runAttempt,
  traceFields,
} from './queue.js';
import { BullmqJobSchedules } from './queue-bullmq-schedules.js';

type BullJob = Job<JobPayloads[QueueName], unknown, string>;
type BullState = Exclude<Awaited<ReturnType<BullJob['getState']>>, 'unknown'>;

/** BullMQ's states behind each of ours; a job is mapped after it is read (see `toRecord`). */
const BULL_STATES: Record<JobState, BullState[]> = {
  queued: ['waiting', 'prioritized', 'delayed'],
  failed: ['waiting', 'prioritized', 'delayed'],
  running: ['active'],
  completed: ['completed'],
  dead: ['failed'],
  cancelled: ['failed', 'waiting', 'prioritized', 'delayed'],
};
const ALL_BULL_STATES: BullState[] = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
];

/** Producer calls wait at most this long for Redis, then answer 503. */
const CALL_TIMEOUT_MS = 3_000;
/** Published into a queue's event stream when a job is cancelled before a worker took it. */
const CANCELLED_EVENT = 'keel-job-cancelled';
interface KeelEventsListener extends QueueEventsListener {
  [CANCELLED_EVENT]: (args: { jobId: string }) => void;
}

async function redisCall<T>(operation: string, command: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${CALL_TIMEOUT_MS} ms`)),
      CALL_TIMEOUT_MS,
    );
  });
  try {
    return await callRedis(operation, () => Promise.race([command(), timeout]));
  } finally {
    clearTimeout(timer);
  }
}

/** Our state of a BullMQ job: its set, refined by why it failed and whether it failed before. */
function stateOf(job: BullJob, bullState: BullState, cancelFlag: boolean): JobState {
  if (bullState === 'active') return 'running';
  if (bullState === 'completed') return 'completed';
  if (bullState === 'failed') return job.failedReason === CANCELLED_MESSAGE ? 'cancelled' : 'dead';
  // Waiting, prioritized or delayed: a flagged job is cancelled even before a worker closes it.
  if (cancelFlag) return 'cancelled';
  return job.attemptsMade > 0 ? 'failed' : 'queued';
}

function toRecord(job: BullJob, bullState: BullState, cancelFlag: boolean): JobRecord {
  const state = stateOf(job, bullState, cancelFlag);
  const progress = (job.progress ?? {}) as { progress?: number; message?: string };
  const finished = bullState === 'completed' || bullState === 'failed';
  return {
    id: job.id!,
    queue: job.name as QueueName,
    payload: job.data,
    state,
    attempts: job.attemptsStarted,
    maxAttempts: job.opts.attempts ?? 1,
    priority: job.opts.priority ?? 0,
    progress: state === 'completed' ? 1 : (progress.progress ?? 0),
    progressMessage: progress.message ?? null,
    result: state === 'completed' ? (job.returnvalue ?? null) : null,
    error: job.failedReason && job.failedReason !== CANCELLED_MESSAGE ? job.failedReason : null,
    cancelRequested: cancelFlag,
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
    finishedAt: finished && job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

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
  /** Commands that should fail fast while Redis is down (producers, flags). */
  readonly connection: Redis;
  readonly prefix: string;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly producers = new Map<QueueName, QueueEventsProducer>();
  private readonly streams = new Map<QueueName, QueueEvents>();
  private readonly listeners = new Map<string, Set<(event: JobEvent) => void>>();
  private readonly workers = new Set<BullmqJobWorker>();
  private readonly lastErrorLog = new Map<string, number>();
  private waiting: Redis | undefined;
  readonly schedules: BullmqJobSchedules;

  private constructor(private readonly options: BullmqJobQueueOptions) {
    this.prefix = options.prefix ?? 'keel';
    this.connection = createRedisConnection(options.url, {
      name: 'keel-jobs',
      commandTimeoutMs: CALL_TIMEOUT_MS,
      ...(options.logger && { logger: options.logger }),
    });
    this.schedules = new BullmqJobSchedules({
      connection: this.connection,
      prefix: this.prefix,
      accepts: options.accepts,
      queue: (name) => this.queue(name),
      call: redisCall,
    });
  }

  /**
   * For workers and QueueEvents, which wait through an outage instead of failing (BullMQ requires
   * `maxRetriesPerRequest: null` there, and duplicates it for its blocking reads). Opened on first
   * use, so an API process that never follows a job does not hold it.
   */
  get waitingConnection(): Redis {
    if (!this.waiting) {
      this.waiting = new Redis(this.options.url, {
        connectionName: 'keel-jobs-worker',
        maxRetriesPerRequest: null,
        retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
      });
      this.waiting.on('error', (error: Error) => this.logError('redis', error));
    }
    return this.waiting;
  }

  static open(options: BullmqJobQueueOptions): BullmqJobQueue {
    return new BullmqJobQueue(options);
  }

  async enqueue<Q extends QueueName>(
    queue: Q,
    payload: JobPayloads[Q],
    options?: EnqueueOptions,
  ): Promise<JobRecord<Q>> {
    const job = prepareEnqueue(this.options.accepts, queue, payload, options);
    const id = job.jobId ?? randomUUID();
    const holder = await redisCall('locate job', () => this.locate(id));
    if (holder && holder !== queue) {
      throw new ConflictError('job_id_conflict', `Job id ${id} is taken by queue ${holder}`, {
        jobId: id,
      });
    }
    // With an id BullMQ already holds, `add` changes nothing: that is the idempotency.
    await redisCall('enqueue job', () =>
      this.queue(queue).add(queue, job.payload, {
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
      const queue = await this.locate(id);
      if (!queue) return undefined;
      const [job, state, flag] = await Promise.all([
        this.queue(queue).getJob(id) as Promise<BullJob | undefined>,
        this.queue(queue).getJobState(id),
        this.connection.exists(this.cancelKey(id)),
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
          const jobs = (await this.queue(queue).getJobs([bullState], 0, window - 1)) as BullJob[];
          const flags = jobs.length
            ? await this.connection.mget(jobs.map((job) => this.cancelKey(job.id!)))
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
      this.connection.set(this.cancelKey(id), '1', 'EX', expiresIn),
    );
    for (const worker of this.workers) worker.running.interrupt(id, 'cancelled');
    const after = (await this.get(id)) ?? before;
    if (after.state === 'cancelled') {
      // A delayed job would otherwise wait out its delay before a worker closes it.
      const job = await redisCall('read job', () => this.queue(after.queue).getJob(id));
      await job?.promote().catch(() => undefined);
      await redisCall('announce cancel', () =>
        this.producer(after.queue).publishEvent({ eventName: CANCELLED_EVENT, jobId: id }, 10_000),
      );
    }
    return after;
  }

  async retry(id: string): Promise<JobRecord> {
    const record = await this.get(id);
    if (!record) throw jobNotFound(id);
    if (record.state !== 'dead' && record.state !== 'cancelled') throw notRetryable(record);
    await redisCall('retry job', async () => {
      await this.connection.del(this.cancelKey(id));
      const job = (await this.queue(record.queue).getJob(id)) as BullJob | undefined;
      if ((await job?.getState()) === 'failed') {
        await job!.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
    });
    return (await this.get(id)) ?? record;
  }

  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    const listeners = this.listeners.get(id) ?? new Set();
    listeners.add(listener);
    this.listeners.set(id, listeners);
    const since = Date.now();
    void this.locate(id).then(
      (queue) => queue && this.stream(queue, since),
      (error: unknown) => this.logError('subscribe', error),
    );
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(id);
    };
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
    const worker = new BullmqJobWorker(this, queues, processors, {
      concurrency: options.concurrency ?? 1,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    });
    this.workers.add(worker);
    return worker;
  }

  async depth(): Promise<QueueDepth[]> {
    const depth = emptyDepth(this.options.accepts);
    for (const queue of this.options.accepts) {
      // Retries wait in `delayed`; BullMQ's `failed` set is our dead letter.
      const counts = await redisCall('count jobs', () =>
        this.queue(queue).getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed'),
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
    const closables = [
      ...this.streams.values(),
      ...this.producers.values(),
      ...this.queues.values(),
    ];
    await Promise.allSettled(closables.map((closable) => closable.close()));
    this.listeners.clear();
    await closeRedisConnection(this.connection);
    this.waiting?.disconnect();
  }

  // ── used by the workers of this handle ──────────────────────────────────────────────────────

  cancelKey(id: string): string {
    return `${this.prefix}:keel-cancel:${id}`;
  }

  /** Takes back one start of a job this worker holds: that start used no attempt. */
  async uncountStart(queue: QueueName, id: string): Promise<void> {
    await redisCall('uncount start', () =>
      this.connection.hincrby(this.queue(queue).toKey(id), 'ats', -1),
    );
  }

  forget(worker: BullmqJobWorker): void {
    this.workers.delete(worker);
  }

  /** Logs a Redis or BullMQ error at most every 10 s per message: an outage is one line, not a flood. */
  logError(source: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const last = this.lastErrorLog.get(message) ?? 0;
    if (Date.now() - last < 10_000) return;
    this.lastErrorLog.set(message, Date.now());
    this.options.logger?.warn({ err: message, source }, 'job queue: Redis call failed');
  }

  private queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', (error) => this.logError(`queue ${name}`, error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private producer(name: QueueName): QueueEventsProducer {
    let producer = this.producers.get(name);
    if (!producer) {
      producer = new QueueEventsProducer(name, {
        connection: this.connection,
        prefix: this.prefix,
      });
      producer.on('error', (error) => this.logError(`events ${name}`, error));
      this.producers.set(name, producer);
    }
    return producer;
  }

  /** Which queue holds the id: one round trip over every queue's job key. */
  private async locate(id: string): Promise<QueueName | undefined> {
    const pipeline = this.connection.pipeline();
    for (const name of QUEUE_NAMES) pipeline.exists(this.queue(name).toKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
    const index = replies.findIndex(([error, exists]) => !error && exists === 1);
    return index === -1 ? undefined : QUEUE_NAMES[index];
  }

  /**
   * One QueueEvents per queue, opened when someone first follows one of its jobs. It reads the
   * stream from a second before `since` (stream ids are times), not from its own start: events
   * the job emitted while the stream was connecting would otherwise be lost to the first listener.
   */
  private stream(name: QueueName, since: number): QueueEvents {
    const existing = this.streams.get(name);
    if (existing) return existing;
    const stream = new QueueEvents(name, {
      connection: this.waitingConnection,
      prefix: this.prefix,
      lastEventId: `${since - 1_000}-0`,
    });
    stream.on('error', (error) => this.logError(`events ${name}`, error));
    stream.on('progress', ({ jobId, data }) => {
      const progress = data as { progress?: number; message?: string };
      this.dispatch({
        type: 'job-progress',
        jobId,
        progress: progress.progress ?? 0,
        message: progress.message ?? null,
      });
    });
    stream.on('completed', ({ jobId, returnvalue }) =>
      this.dispatch({ type: 'job-completed', jobId, result: returnvalue ?? null }),
    );
    stream.on('failed', ({ jobId, failedReason }) =>
      this.dispatch(
        failedReason === CANCELLED_MESSAGE
          ? { type: 'job-cancelled', jobId }
          : { type: 'job-dead', jobId, error: failedReason },
      ),
    );
    // A failed attempt with attempts left shows up as the job going back to waiting or delayed.
    stream.on('delayed', ({ jobId, delay }) => void this.announceRetry(name, jobId, delay));
    stream.on('waiting', ({ jobId, prev }) => {
      if (prev === 'failed') void this.announceRetry(name, jobId, Date.now());
    });
    stream.on<KeelEventsListener>(CANCELLED_EVENT, ({ jobId }: { jobId: string }) =>
      this.dispatch({ type: 'job-cancelled', jobId }),
    );
    this.streams.set(name, stream);
    return stream;
  }

  private async announceRetry(name: QueueName, jobId: string, retryAt: number): Promise<void> {
    if (!this.listeners.has(jobId)) return;
    try {
      const job = (await this.queue(name).getJob(jobId)) as BullJob | undefined;
      if (!job || job.attemptsMade === 0) return;
      this.dispatch({
        type: 'job-failed',
        jobId,
        error: job.failedReason,
        attempt: job.attemptsMade,
        retryAt: new Date(retryAt).toISOString(),
      });
    } catch (error) {
      this.logError('read job', error);
    }
  }

  private dispatch(event: JobEvent): void {
    for (const listener of this.listeners.get(event.jobId) ?? []) listener(event);
  }
}

/** One `work()` call: a BullMQ Worker per queue, sharing one record of running jobs. */
class BullmqJobWorker implements JobWorker {
  readonly running = new RunningJobs();
  private readonly workers: Worker[];
  private readonly jobs = new Map<string, { job: BullJob; token: string; queue: QueueName }>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly owner: BullmqJobQueue,
    readonly queues: readonly QueueName[],
    private readonly processors: JobProcessors,
    private readonly options: { concurrency: number; leaseMs: number },
  ) {
    this.workers = queues.map((queue) => {
      const worker = new Worker(
        queue,
        (job: BullJob, token?: string, signal?: AbortSignal) =>
          this.process(queue, job, token ?? '', signal),
        {
          connection: owner.waitingConnection,
          prefix: owner.prefix,
          concurrency: options.concurrency,
          // The lease: locks are renewed every half, and a lock left to expire is found by the
          // stalled check of any worker and its job moved back to waiting. Such a start counts
          // as an attempt, which `process` enforces against the job's own attempts; BullMQ's limit
          // of stalls per worker would ignore them, so it never applies.
          lockDuration: options.leaseMs,
          stalledInterval: options.leaseMs,
          maxStalledCount: Number.MAX_SAFE_INTEGER,
        },
      );
      worker.on('error', (error) => owner.logError(`worker ${queue}`, error));
      return worker;
    });
  }

  close(options: CloseOptions = { graceful: true }): Promise<void> {
    this.closing ??= this.shutDown(options);
    return this.closing;
  }

  private async shutDown(options: CloseOptions): Promise<void> {
    // With Redis down nothing can be written, and BullMQ's graceful close would wait for Redis
    // forever: stop at once, and let the leases bring the jobs back.
    if (!options.graceful || this.owner.waitingConnection.status !== 'ready') {
      for (const job of this.running.all()) this.running.interrupt(job.id, 'abandoned');
      await Promise.allSettled(this.workers.map((worker) => worker.close(true)));
    } else {
      // Stops fetching at once; resolves once running jobs have settled (or been released) and
      // BullMQ has written their outcomes.
      const closed = Promise.allSettled(this.workers.map((worker) => worker.close()));
      if (!(await this.running.drain(options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS))) {
        await Promise.allSettled(this.running.all().map((job) => this.release(job.id)));
      }
      // Bounded: should Redis go down now, the process may still exit; the leases cover it.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    }
    this.owner.forget(this);
  }

  private async release(id: string): Promise<void> {
    const held = this.jobs.get(id);
    if (!held || !this.running.interrupt(id, 'released')) return;
    // The job is still ours: its start can be taken back before anyone else may take it.
    await this.owner.uncountStart(held.queue, id);
    await held.job.moveToWait(held.token);
  }

  private async process(
    queue: QueueName,
    job: BullJob,
    token: string,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const id = job.id!;
    if (await this.cancelRequested(id)) throw new UnrecoverableError(CANCELLED_MESSAGE);
    const maxAttempts = job.opts.attempts ?? 1;
    if (job.attemptsStarted > maxAttempts) {
      // Its workers' leases ran out on every attempt: dead, and this start was none.
      await this.owner.uncountStart(queue, id);
      throw new UnrecoverableError(LEASE_EXPIRED_MESSAGE);
    }
    const processor = processorFor(this.processors, queue);
    let outcome = { kind: 'discarded' } as AttemptOutcome;
    const report = async (progress: { progress: number; message?: string }) => {
      const checked = checkProgress(progress);
      await redisCall('report progress', () => job.updateProgress(checked)).catch(
        (error: unknown) => this.owner.logError('report progress', error),
      );
    };
    const identity = { id, queue, attempt: job.attemptsStarted, token };
    const running = this.running.start(identity, async (started) => {
      outcome = await runAttempt(
        processor,
        started,
        () => job.data,
        report,
        traceFields(job.opts.telemetry?.metadata),
      );
    });
    this.jobs.set(id, { job, token, queue });
    // A lock BullMQ could not keep means the job is someone else's now.
    signal?.addEventListener('abort', () => this.running.interrupt(id, 'lease-lost'));
    const poll = setInterval(
      () =>
        void this.cancelRequested(id).then((yes) => yes && this.running.interrupt(id, 'cancelled')),
      Math.min(1_000, Math.max(this.options.leaseMs / 2, 50)),
    );
    try {
      // Once the job is given up, stop waiting for a processor that ignores its signal: this
      // worker must still be able to close.
      await Promise.race([running.done, running.givenUp]);
    } finally {
      clearInterval(poll);
      this.jobs.delete(id);
    }
    if (running.interruption && running.interruption !== 'cancelled') {
      outcome = { kind: 'discarded' };
    }
    switch (outcome.kind) {
      case 'completed':
        return outcome.result;
      case 'cancelled':
        throw new UnrecoverableError(CANCELLED_MESSAGE);
      case 'failed':
        // Attempts started, not only failed: those whose lease ran out count too.
        throw outcome.retryable && job.attemptsStarted < maxAttempts
          ? new Error(outcome.error)
          : new UnrecoverableError(outcome.error);
      case 'discarded':
        // Tells BullMQ the job left `active` by other means: it writes nothing.
        throw new WaitingError();
    }
  }

  private async cancelRequested(id: string): Promise<boolean> {
    try {
      return (await this.owner.connection.exists(this.owner.cancelKey(id))) === 1;
    } catch {
      return false;
    }
  }
}
