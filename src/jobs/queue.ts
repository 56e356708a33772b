import { ConflictError, KeelError, NotFoundError, ValidationError } from '../errors.js';
import { type JobPayloads, type QueueName, QUEUE_DEFAULTS, parsePayload } from './contracts.js';
import type { JobSchedules } from './schedules.js';

/**
 * The durable job queue port. Two adapters implement it: `queue-sqlite.ts` (single process, one
 * SQLite file) and `queue-bullmq.ts` (server, Redis); both pass `test/contracts/queue-contract.ts`.
 *
 * Delivery is at least once: a job whose worker dies goes back to `queued` when its lease runs out
 * and runs again, so processors must be idempotent. That attempt counts: a job that kills its worker
 * every time is `dead` (`LEASE_EXPIRED_MESSAGE`) once its attempts are used, and a failure after a
 * lease ran out is retried only while attempts are left. A job a worker gives back when it closes
 * (`CloseOptions`) does not use its attempt. A failed attempt is retried with exponential
 * backoff and jitter up to `attempts`; then the job is `dead` (the dead-letter state) with its last
 * error until someone calls `retry`. A job is never lost once `enqueue` has returned.
 *
 * States: `queued` → `running` → `completed`; a failure with attempts left → `failed` (waiting for
 * its retry) → `running`; no attempts left, or an error that is not retryable → `dead`;
 * `cancel` → `cancelled`.
 */
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'dead' | 'cancelled';

export const FINISHED_STATES: ReadonlySet<JobState> = new Set(['completed', 'dead', 'cancelled']);

export interface JobRecord<Q extends QueueName = QueueName> {
  id: string;
  queue: Q;
  payload: JobPayloads[Q];
  state: JobState;
  /** Attempts started so far, the running one included. */
  attempts: number;
  maxAttempts: number;
  priority: number;
  /** 0..1, as last reported by the processor. */
  progress: number;
  progressMessage: string | null;
  /** What the processor returned (JSON); null until completed. */
  result: unknown;
  /** The last failure, as `code: message`; kept after a retry succeeds. */
  error: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface EnqueueOptions {
  /** Makes enqueue idempotent: the same id returns the existing job (while it is retained). */
  jobId?: string;
  delayMs?: number;
  /** Attempts in all, the first included; default per queue (`QUEUE_DEFAULTS`). */
  attempts?: number;
  /** Wait before the first retry; each later retry waits twice as long, with jitter. */
  backoffMs?: number;
  /** 1 runs first … 2_097_152 last; jobs without a priority (0) run before prioritized ones. */
  priority?: number;
  /**
   * The enqueuing request's trace context as carrier fields (`traceparent`, `tracestate`): kept
   * with the job, so the spans of its attempts continue that trace.
   */
  trace?: Record<string, string>;
}

/** Events a job emits, noun-then-verb. The last one a job emits is completed, dead or cancelled. */
export type JobEvent =
  | { type: 'job-progress'; jobId: string; progress: number; message: string | null }
  | { type: 'job-completed'; jobId: string; result: unknown }
  | { type: 'job-failed'; jobId: string; error: string; attempt: number; retryAt: string }
  | { type: 'job-dead'; jobId: string; error: string }
  | { type: 'job-cancelled'; jobId: string };

export interface JobProgressReport {
  progress: number;
  message?: string;
}

/** What a processor receives for one attempt of one job. */
export interface JobContext<Q extends QueueName = QueueName> {
  id: string;
  queue: Q;
  payload: JobPayloads[Q];
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the job is cancelled or this worker gives the job up; stop and throw. */
  signal: AbortSignal;
  /** Persists and emits progress; best effort, never throws for a backend outage. */
  report(progress: JobProgressReport): Promise<void>;
  /** The trace context the job was enqueued with (see `EnqueueOptions.trace`), if any. */
  trace?: Record<string, string>;
}

/**
 * Runs one attempt and returns its result (JSON). Throwing fails the attempt; a `KeelError` with
 * `retryable: false` makes the job dead at once, anything else is retried.
 */
export type JobProcessor<Q extends QueueName = QueueName> = (
  context: JobContext<Q>,
) => Promise<unknown>;

export type JobProcessors = { [Q in QueueName]?: JobProcessor<Q> };

export interface WorkOptions {
  /** Jobs of each queue this worker runs at once; default 1. */
  concurrency?: number;
  /** A running job is given back to the queue when its worker stays silent this long; 30 s. */
  leaseMs?: number;
}

export interface CloseOptions {
  /**
   * true: take no more jobs, let running ones finish for up to `timeoutMs`, then release the rest
   * back to `queued` at once. false: stop now, as a crash would; running jobs are aborted and come
   * back when their lease runs out.
   */
  graceful: boolean;
  timeoutMs?: number;
}

export interface JobWorker {
  readonly queues: readonly QueueName[];
  close(options?: CloseOptions): Promise<void>;
}

/** The jobs of one queue in one group of states (see `JobQueue.depth`). */
export interface QueueDepth {
  queue: QueueName;
  state: 'waiting' | 'running' | 'dead';
  count: number;
}

/** Every accepted queue in every depth state, at 0 until counted. */
export function emptyDepth(queues: readonly QueueName[]): QueueDepth[] {
  return queues.flatMap((queue) =>
    (['waiting', 'running', 'dead'] as const).map((state) => ({ queue, state, count: 0 })),
  );
}

export interface JobListFilter {
  queue?: QueueName;
  state?: JobState;
  /** Jobs whose payload names this workspace (`payload.workspaceId`): what a non-admin may see. */
  workspaceId?: string;
  /** Newest first; default 50, at most 500. */
  limit?: number;
}

/**
 * A durable job queue.
 *
 * @example
 *   const job = await jobs.enqueue('ingest', { sourceId, workspaceId }, { jobId: `sync-${sourceId}` });
 *   for await (const event of jobs.events(job.id)) console.log(event.type);
 *
 *   const worker = jobs.work(['ingest'], processors, { concurrency: 2 });
 *   process.once('SIGTERM', () => worker.close({ graceful: true, timeoutMs: 25_000 }));
 */
export interface JobQueue {
  /** Validates the payload and stores the job; throws `queue_not_available` for refused queues. */
  enqueue<Q extends QueueName>(
    queue: Q,
    payload: JobPayloads[Q],
    options?: EnqueueOptions,
  ): Promise<JobRecord<Q>>;
  get(id: string): Promise<JobRecord | undefined>;
  list(filter?: JobListFilter): Promise<JobRecord[]>;
  /** Queued or failed → cancelled; running → cancel requested (the processor's signal aborts). */
  cancel(id: string): Promise<JobRecord>;
  /** Dead or cancelled → queued, with its attempts counted from zero again. */
  retry(id: string): Promise<JobRecord>;
  /** Calls `listener` for each event of the job from now on; returns the unsubscribe function. */
  subscribe(id: string, listener: (event: JobEvent) => void): () => void;
  /** The job's events from now until its last one (immediately, if it has already finished). */
  events(id: string, options?: { signal?: AbortSignal }): AsyncIterable<JobEvent>;
  work(queues: readonly QueueName[], processors: JobProcessors, options?: WorkOptions): JobWorker;
  /**
   * How many jobs of each accepted queue wait (queued, or failed and waiting for their retry), run,
   * or lie dead right now: the queue depth `/metrics` reports. Queues with no such jobs give 0.
   */
  depth(): Promise<QueueDepth[]>;
  /** Recurring jobs (cron + time zone), one job per tick across every worker. */
  readonly schedules: JobSchedules;
  /** Throws when the backend cannot answer (readiness probe). */
  ping(): Promise<void>;
  /** Closes this handle's workers gracefully, then its connections. */
  close(): Promise<void>;
}

// ── Shared by the adapters ──────────────────────────────────────────────────────────────────────

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;
/** Finished jobs are kept this long, so idempotent enqueue and the dead-letter list hold as long. */
export const RETENTION_MS = { completed: 7 * 86_400_000, deadOrCancelled: 30 * 86_400_000 };
export const MAX_PRIORITY = 2_097_152;
export const CANCELLED_MESSAGE = 'job_cancelled: cancelled on request';
/** The error of a job whose last attempt ended with its worker's lease running out. */
export const LEASE_EXPIRED_MESSAGE =
  'lease_expired: the worker stopped answering on the last attempt';

const JOB_ID = /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** An integer option within bounds, else a ValidationError naming it. */
function intOption(name: string, value: number | undefined, min: number, max: number) {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError('invalid_job_options', `${name} must be an integer ${min}..${max}`, {
      [name]: value,
    });
  }
  return value;
}

/** Checks an enqueue request the same way in every adapter; returns the payload as stored. */
export function prepareEnqueue<Q extends QueueName>(
  accepts: readonly QueueName[],
  queue: Q,
  payload: unknown,
  options: EnqueueOptions = {},
) {
  if (!accepts.includes(queue)) {
    throw new ValidationError(
      'queue_not_available',
      `Queue "${queue}" is not offered here (no processor for it is configured); its jobs are refused rather than left waiting`,
      { queue, available: accepts },
    );
  }
  if (options.jobId !== undefined && !JOB_ID.test(options.jobId)) {
    throw new ValidationError(
      'invalid_job_id',
      'jobId must be 1-128 letters, digits, "_", "-" or ".", and not only digits',
      { jobId: options.jobId },
    );
  }
  const defaults = QUEUE_DEFAULTS[queue];
  return {
    queue,
    payload: parsePayload(queue, payload),
    jobId: options.jobId,
    delayMs: intOption('delayMs', options.delayMs, 0, 366 * 86_400_000) ?? 0,
    attempts: intOption('attempts', options.attempts, 1, 100) ?? defaults.attempts,
    backoffMs: intOption('backoffMs', options.backoffMs, 0, 86_400_000) ?? defaults.backoffMs,
    priority: intOption('priority', options.priority, 0, MAX_PRIORITY) ?? 0,
    trace: options.trace ?? {},
  };
}

/** The wait before retry number `failures` (1 = first retry): doubling, jittered into [½, 1]. */
export function backoffDelayMs(failures: number, baseMs: number, random = Math.random): number {
  const full = baseMs * 2 ** Math.max(0, failures - 1);
  return Math.round(full - full * 0.5 * random());
}

export function jobNotFound(id: string): NotFoundError {
  return new NotFoundError('job_not_found', `No job ${id}`, { jobId: id });
}

export function notRetryable(record: JobRecord): ConflictError {
  return new ConflictError(
    'job_not_retryable',
    `Job ${record.id} is ${record.state}; only dead or cancelled jobs can be retried`,
    { jobId: record.id, state: record.state },
  );
}

/** The dead-letter text of an error: the code says what failed, the message says how. */
export function describeError(error: unknown): string {
  if (error instanceof KeelError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Keel errors say whether trying again can help; anything else (a network error…) may. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof KeelError) || error.retryable;
}

/** The event a finished job would have ended with, for a listener that arrives late. */
export function finishedEvent(record: JobRecord): JobEvent | undefined {
  if (record.state === 'completed')
    return { type: 'job-completed', jobId: record.id, result: record.result };
  if (record.state === 'dead')
    return { type: 'job-dead', jobId: record.id, error: record.error ?? 'unknown' };
  if (record.state === 'cancelled') return { type: 'job-cancelled', jobId: record.id };
  return undefined;
}

const isLastEvent = (event: JobEvent) =>
  event.type === 'job-completed' || event.type === 'job-dead' || event.type === 'job-cancelled';

/**
 * `events()` for any adapter: subscribes first, then reads the job, so nothing falls between the
 * two; re-reads it every `recheckMs` while quiet, so a finish announced where this process cannot
 * hear it (another process on the same SQLite file, a Redis stream gap) still ends the stream.
 */
export async function* followJob(
  queue: Pick<JobQueue, 'get' | 'subscribe'>,
  id: string,
  options: { signal?: AbortSignal; recheckMs?: number } = {},
): AsyncGenerator<JobEvent> {
  const pending: JobEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = queue.subscribe(id, (event) => {
    pending.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener('abort', onAbort);
  try {
    const record = await queue.get(id);
    if (!record) throw jobNotFound(id);
    const finished = finishedEvent(record);
    if (finished) {
      yield finished;
      return;
    }
    while (!options.signal?.aborted) {
      if (pending.length === 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, options.recheckMs ?? 1_000);
        });
        clearTimeout(timer);
        wake = undefined;
      }
      if (options.signal?.aborted) return;
      if (pending.length === 0) {
        const now = await queue.get(id);
        // Gone means removed after its retention period: nothing more will come.
        if (!now) return;
        const last = finishedEvent(now);
        if (last) {
          yield last;
          return;
        }
      }
      for (let event = pending.shift(); event; event = pending.shift()) {
        yield event;
        if (isLastEvent(event)) return;
      }
    }
  } finally {
    unsubscribe();
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Why a worker stopped a running job before it settled. */
export type Interruption = 'cancelled' | 'released' | 'abandoned' | 'lease-lost';

/** The reason a processor finds on `signal.reason` when its job is interrupted. */
export class JobInterruptedError extends KeelError {
  constructor(readonly interruption: Interruption) {
    super(
      'job_interrupted',
      `The job was interrupted (${interruption})`,
      409,
      { interruption },
      true,
    );
  }
}

/** Interruptions after which this worker writes nothing: the job is, or will be, run elsewhere. */
const givesUp = (interruption: Interruption | undefined) =>
  interruption !== undefined && interruption !== 'cancelled';

export interface RunningJob {
  id: string;
  queue: QueueName;
  attempt: number;
  /** The adapter's proof of ownership: a lease token (SQLite) or lock token (BullMQ). */
  token: string;
  controller: AbortController;
  interruption?: Interruption;
  /** Settles when the processor does. */
  done: Promise<void>;
  /** Settles when this worker gives the job up (released, abandoned, lease lost). */
  givenUp: Promise<void>;
}

/** The jobs one worker is running: their abort controllers, and a way to wait for them. */
export class RunningJobs {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly giveUps = new WeakMap<RunningJob, () => void>();

  all(): RunningJob[] {
    return [...this.jobs.values()];
  }

  countFor(queue: QueueName): number {
    return this.all().filter((job) => job.queue === queue).length;
  }

  start(
    job: Pick<RunningJob, 'id' | 'queue' | 'attempt' | 'token'>,
    run: (job: RunningJob) => Promise<void>,
  ): RunningJob {
    let giveUp!: () => void;
    const running: RunningJob = {
      ...job,
      controller: new AbortController(),
      done: Promise.resolve(),
      givenUp: new Promise((resolve) => (giveUp = resolve)),
    };
    this.giveUps.set(running, giveUp);
    this.jobs.set(job.id, running);
    running.done = run(running).finally(() => {
      // A job redelivered to this same worker (its lease had run out) may have replaced it.
      if (this.jobs.get(job.id) === running) this.jobs.delete(job.id);
    });
    return running;
  }

  /** Aborts the job's signal. Giving a job up overrides a cancel: its outcome is no longer ours. */
  interrupt(id: string, interruption: Interruption): boolean {
    const job = this.jobs.get(id);
    if (!job || givesUp(job.interruption)) return false;
    job.interruption = interruption;
    if (!job.controller.signal.aborted) job.controller.abort(new JobInterruptedError(interruption));
    if (givesUp(interruption)) this.giveUps.get(job)?.();
    return true;
  }

  /** True once every running job has settled; false if some are still running after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const settled = Promise.allSettled(this.all().map((job) => job.done)).then(() => true);
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export type AttemptOutcome =
  | { kind: 'completed'; result: unknown }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: string; retryable: boolean }
  | { kind: 'discarded' };

/**
 * Runs one attempt the same way in every adapter: the payload is re-validated (it may come from an
 * older release), the result is reduced to JSON, and the outcome says what the adapter must write.
 */
export async function runAttempt(
  processor: JobProcessor,
  job: RunningJob,
  readPayload: () => unknown,
  report: (progress: JobProgressReport) => Promise<void>,
  trace: Record<string, string>,
): Promise<AttemptOutcome> {
  try {
    const result: unknown = await processor({
      id: job.id,
      queue: job.queue,
      payload: parsePayload(job.queue, readPayload()),
      attempt: job.attempt,
      signal: job.controller.signal,
      report,
      trace,
    });
    if (givesUp(job.interruption)) return { kind: 'discarded' };
    return { kind: 'completed', result: JSON.parse(JSON.stringify(result ?? null)) as unknown };
  } catch (error) {
    if (givesUp(job.interruption)) return { kind: 'discarded' };
    if (job.interruption === 'cancelled') return { kind: 'cancelled' };
    return { kind: 'failed', error: describeError(error), retryable: isRetryable(error) };
  }
}

/** The processor for a queue, or a clear error when `work` was asked for a queue it cannot run. */
export function processorFor(processors: JobProcessors, queue: QueueName): JobProcessor {
  const processor = processors[queue] as JobProcessor | undefined;
  if (!processor) {
    throw new ValidationError('queue_not_available', `No processor for queue "${queue}"`, {
      queue,
    });
  }
  return processor;
}

/** A progress value must be a fraction; anything else is the processor's bug. */
export function checkProgress(report: JobProgressReport): {
  progress: number;
  message: string | null;
} {
  if (!(report.progress >= 0 && report.progress <= 1)) {
    throw new RangeError(`progress must be between 0 and 1, got ${report.progress}`);
  }
  return { progress: report.progress, message: report.message ?? null };
}

/**
 * A job's stored trace context back as carrier fields: anything but an object of strings (an
 * older job, a damaged value) is no context.
 */
export function traceFields(stored: string | null | undefined): Record<string, string> {
  if (!stored) return {};
  try {
    const value = JSON.parse(stored) as unknown;
    if (typeof value !== 'object' || value === null) return {};
    return Object.fromEntries(
      Object.entries(value).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}
