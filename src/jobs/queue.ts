import type { JobPayloads, QueueName } from './contracts.js';
import type { JobSchedules } from './schedules.js';

/**
 * The durable job queue port. Two adapters implement it: `sqlite/` (single process, one SQLite
 * file) and `bullmq/` (server, Redis), from the pieces they share in `runtime/`; both pass
 * `test/contracts/queue-contract.ts`.
 *
 * Delivery is at least once: a job whose worker dies goes back to `queued` when its lease runs out
 * and runs again, so processors must be idempotent. That attempt counts: a job that kills its worker
 * every time is `dead` (`lease_expired: …`) once its attempts are used, and a failure after a
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

/** The last priority (see `EnqueueOptions.priority`). */
export const MAX_PRIORITY = 2_097_152;

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
