import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import { ConflictError } from '../errors.js';
import type { JobPayloads, QueueName } from './contracts.js';
import {
  type AttemptOutcome,
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
  type RunningJob,
  RunningJobs,
  type WorkOptions,
  backoffDelayMs,
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
import { SCHEDULES_SCHEMA, SqliteJobSchedules } from './queue-sqlite-schedules.js';

/**
 * The jobs table lives in its own file (`jobs.db` beside `keel.db`), not in the store's: SQLite
 * has one writer per file, and a knowledge sync writes in long transactions; sharing the file
 * would make claims and heartbeats wait behind it until leases expire for no reason. Its own file
 * also lets a worker open the queue without the store, and keeps this migration self-contained
 * (`user_version` counts it). Times are epoch milliseconds.
 */
const SCHEMA = `
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

interface JobRow {
  id: string;
  queue: QueueName;
  payload: string;
  state: JobState;
  priority: number;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  run_at: number;
  lease_token: string | null;
  lease_until: number | null;
  cancel_requested: number;
  progress: number;
  progress_message: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The enqueuing request's trace context (JSON carrier fields), or null. */
  trace: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    queue: row.queue,
    payload: JSON.parse(row.payload) as JobPayloads[QueueName],
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    progress: row.progress,
    progressMessage: row.progress_message,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
    cancelRequested: row.cancel_requested === 1,
    createdAt: new Date(row.created_at).toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

/** The file's migrations in order; `user_version` counts those applied. */
const MIGRATIONS = [SCHEMA, SCHEDULES_SCHEMA, 'alter table jobs add column trace text;'];

function migrate(database: BetterSqlite3.Database): void {
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

/** Every statement the queue runs, prepared once. Claims and settles check the lease token. */
function prepare(database: BetterSqlite3.Database) {
  const running = `where id = @id and lease_token = @token and state = 'running'`;
  return {
    insert: database.prepare(`insert into jobs (id, queue, payload, state, priority, max_attempts,
      backoff_ms, run_at, created_at, trace) values (@id, @queue, @payload, 'queued', @priority,
      @maxAttempts, @backoffMs, @runAt, @now, @trace) on conflict (id) do nothing`),
    get: database.prepare<[string], JobRow>('select * from jobs where id = ?'),
    depth: database.prepare<[], { queue: QueueName; state: JobState; count: number }>(
      `select queue, state, count(*) as count from jobs
        where state in ('queued', 'failed', 'running', 'dead') group by queue, state`,
    ),
    list: database.prepare<Record<string, unknown>, JobRow>(`select * from jobs
      where (@queue is null or queue = @queue) and (@state is null or state = @state)
        and (@workspace is null or json_extract(payload, '$.workspaceId') = @workspace)
      order by created_at desc, id limit @limit`),
    // One statement picks and takes the job, inside an immediate transaction (see `claim`).
    claim: database.prepare<Record<string, unknown>, JobRow>(`update jobs set state = 'running',
      attempts = attempts + 1, lease_token = @token, lease_until = @leaseUntil, started_at = @now
      where state in ('queued', 'failed') and id = (select id from jobs
        where state in ('queued', 'failed') and run_at <= @now
          and queue in (select value from json_each(@queues))
        order by priority, run_at, created_at limit 1)
      returning *`),
    heartbeat: database.prepare<Record<string, unknown>, { cancel_requested: number }>(
      `update jobs set lease_until = @leaseUntil ${running} returning cancel_requested`,
    ),
    progress: database.prepare(
      `update jobs set progress = @progress, progress_message = @message ${running}`,
    ),
    settle: database.prepare<Record<string, unknown>, JobRow>(`update jobs set state = @state,
      result = @result, error = coalesce(@error, error), run_at = @runAt, finished_at = @finishedAt,
      progress = case when @state = 'completed' then 1 else progress end,
      lease_token = null, lease_until = null ${running} returning *`),
    // A released job did not really use its attempt: the worker left, the job did not fail.
    release: database.prepare(`update jobs set attempts = attempts - 1, run_at = @now,
      state = case when cancel_requested = 1 then 'cancelled' else 'queued' end,
      finished_at = case when cancel_requested = 1 then @now end,
      lease_token = null, lease_until = null ${running}`),
    // A lease that ran out means the worker died; the attempt counts, so a job that kills its
    // worker every time ends up dead instead of killing workers forever.
    expire: database.prepare<[{ now: number; leaseExpired: string }], JobRow>(`update jobs set
      state = case when cancel_requested = 1 then 'cancelled'
        when attempts >= max_attempts then 'dead' else 'queued' end,
      error = case when cancel_requested = 0 and attempts >= max_attempts
        then @leaseExpired else error end,
      finished_at = case when cancel_requested = 1 or attempts >= max_attempts then @now end,
      run_at = @now, lease_token = null, lease_until = null
      where state = 'running' and lease_until < @now returning *`),
    prune:
      database.prepare(`delete from jobs where (state = 'completed' and finished_at < @completed)
      or (state in ('dead', 'cancelled') and finished_at < @deadOrCancelled)`),
    cancelWaiting: database.prepare(`update jobs set state = 'cancelled', cancel_requested = 1,
      finished_at = @now where id = @id and state in ('queued', 'failed')`),
    requestCancel: database.prepare(
      `update jobs set cancel_requested = 1 where id = @id and state = 'running'`,
    ),
    requeue: database.prepare(`update jobs set state = 'queued', attempts = 0, run_at = @now,
      cancel_requested = 0, progress = 0, progress_message = null, finished_at = null
      where id = @id and state in ('dead', 'cancelled')`),
  };
}

export interface SqliteJobQueueOptions {
  /** The jobs file, e.g. `join(config.dataDir, 'jobs.db')`. */
  file: string;
  /** Queues this handle takes jobs for (`AVAILABLE_QUEUES` from the registry). */
  accepts: readonly QueueName[];
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** How often an idle worker looks for jobs other processes enqueued; default 250 ms. */
  pollMs?: number;
}

/**
 * The single-process adapter: durable in one SQLite file (a job is acknowledged once its row is
 * committed). Workers in several processes may share the file: a claim is one atomic UPDATE, so
 * no two take the same job. Events reach subscribers of the same handle at once; `events()` also
 * notices, within a second, a job finished by another process.
 *
 * @example
 *   const jobs = SqliteJobQueue.open({ file: join(config.dataDir, 'jobs.db'), accepts: AVAILABLE_QUEUES });
 */
export class SqliteJobQueue implements JobQueue {
  private readonly emitter = new EventEmitter();
  private readonly workers = new Set<SqliteJobWorker>();
  private readonly statements: ReturnType<typeof prepare>;
  /** Fired by this handle's workers: see `SqliteJobSchedules.fireDue`. */
  readonly schedules: SqliteJobSchedules;
  private lastSweep = 0;
  private lastPrune = 0;

  private constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly options: SqliteJobQueueOptions,
  ) {
    this.emitter.setMaxListeners(0);
    this.statements = prepare(database);
    this.schedules = new SqliteJobSchedules(
      database,
      options.accepts,
      (job) => this.insert(job.id, job),
      options.logger,
    );
  }

  static open(options: SqliteJobQueueOptions): SqliteJobQueue {
    mkdirSync(dirname(options.file), { recursive: true });
    const database = new BetterSqlite3(options.file);
    database.pragma('journal_mode = WAL');
    // FULL: a job acknowledged to a client survives a power cut, not only a process crash.
    database.pragma('synchronous = FULL');
    database.pragma('busy_timeout = 5000');
    migrate(database);
    return new SqliteJobQueue(database, options);
  }

  get logger() {
    return this.options.logger;
  }

  async enqueue<Q extends QueueName>(
    queue: Q,
    payload: JobPayloads[Q],
    options?: EnqueueOptions,
  ): Promise<JobRecord<Q>> {
    const job = prepareEnqueue(this.options.accepts, queue, payload, options);
    const id = job.jobId ?? randomUUID();
    this.insert(id, job);
    const record = toRecord(this.row(id));
    if (record.queue !== queue) {
      throw new ConflictError('job_id_conflict', `Job id ${id} is taken by queue ${record.queue}`, {
        jobId: id,
      });
    }
    this.emitter.emit('job-ready');
    return record as JobRecord<Q>;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = this.statements.get.get(id);
    return row && toRecord(row);
  }

  async list(filter: JobListFilter = {}): Promise<JobRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const rows = this.statements.list.all({
      queue: filter.queue ?? null,
      state: filter.state ?? null,
      workspace: filter.workspaceId ?? null,
      limit,
    });
    return rows.map(toRecord);
  }

  async cancel(id: string): Promise<JobRecord> {
    const params = { id, now: Date.now() };
    const cancelledWaiting = this.database
      .transaction(() => {
        if (this.statements.cancelWaiting.run(params).changes > 0) return true;
        this.statements.requestCancel.run(params);
        return false;
      })
      .immediate();
    if (cancelledWaiting) this.emit({ type: 'job-cancelled', jobId: id });
    // A job running in this process hears it now; one elsewhere at its next heartbeat.
    for (const worker of this.workers) worker.running.interrupt(id, 'cancelled');
    return toRecord(this.row(id));
  }

  async retry(id: string): Promise<JobRecord> {
    if (this.statements.requeue.run({ id, now: Date.now() }).changes === 0) {
      throw notRetryable(toRecord(this.row(id)));
    }
    this.emitter.emit('job-ready');
    return toRecord(this.row(id));
  }

  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    this.emitter.on(`job:${id}`, listener);
    return () => this.emitter.off(`job:${id}`, listener);
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
    const worker = new SqliteJobWorker(this, queues, processors, {
      concurrency: options.concurrency ?? 1,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      pollMs: this.options.pollMs ?? 250,
    });
    this.workers.add(worker);
    return worker;
  }

  async depth(): Promise<QueueDepth[]> {
    const depth = emptyDepth(this.options.accepts);
    for (const row of this.statements.depth.all()) {
      const state = row.state === 'running' ? 'running' : row.state === 'dead' ? 'dead' : 'waiting';
      const entry = depth.find((item) => item.queue === row.queue && item.state === state);
      if (entry) entry.count += row.count;
    }
    return depth;
  }

  async ping(): Promise<void> {
    this.database.prepare('select 1').get();
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close({ graceful: true })));
    this.emitter.removeAllListeners();
    if (this.database.open) this.database.close();
  }

  // ── used by the workers of this handle ──────────────────────────────────────────────────────

  /** Writes a prepared job row (a second insert of the same id changes nothing). */
  private insert(id: string, job: ReturnType<typeof prepareEnqueue>): void {
    const now = Date.now();
    this.statements.insert.run({
      id,
      queue: job.queue,
      payload: JSON.stringify(job.payload),
      priority: job.priority,
      maxAttempts: job.attempts,
      backoffMs: job.backoffMs,
      runAt: now + job.delayMs,
      now,
      trace: Object.keys(job.trace).length > 0 ? JSON.stringify(job.trace) : null,
    });
  }

  /** Enqueues the jobs of due schedule ticks; wakes this handle's workers when there were some. */
  fireSchedules(): void {
    if (this.schedules.fireDue() > 0) this.emitter.emit('job-ready');
  }

  /** Takes the next due job of `queues` for `leaseMs`, or undefined when none is due. */
  claim(queues: readonly QueueName[], token: string, leaseMs: number): JobRow | undefined {
    const now = Date.now();
    // Immediate: the write lock is taken before the read, so the pick and the take are one step
    // for every process sharing the file.
    return this.database
      .transaction(() =>
        this.statements.claim.get({
          token,
          now,
          leaseUntil: now + leaseMs,
          queues: JSON.stringify(queues),
        }),
      )
      .immediate();
  }

  /** Extends the lease; 'lost' when another worker has the job now, 'cancel' when asked to stop. */
  heartbeat(job: RunningJob, leaseMs: number): 'ok' | 'lost' | 'cancel' {
    const row = this.statements.heartbeat.get({
      id: job.id,
      token: job.token,
      leaseUntil: Date.now() + leaseMs,
    });
    if (!row) return 'lost';
    return row.cancel_requested === 1 ? 'cancel' : 'ok';
  }

  report(job: RunningJob, progress: number, message: string | null): void {
    const params = { id: job.id, token: job.token, progress, message };
    if (this.statements.progress.run(params).changes > 0) {
      this.emit({ type: 'job-progress', jobId: job.id, progress, message });
    }
  }

  /** Writes what an attempt came to, unless the job is no longer this worker's. */
  settle(job: RunningJob, row: JobRow, outcome: AttemptOutcome): void {
    if (outcome.kind === 'discarded') return;
    const now = Date.now();
    const retry = outcome.kind === 'failed' && outcome.retryable && row.attempts < row.max_attempts;
    const state: JobState = outcome.kind === 'failed' ? (retry ? 'failed' : 'dead') : outcome.kind;
    const runAt = retry ? now + backoffDelayMs(row.attempts, row.backoff_ms) : row.run_at;
    const settled = this.statements.settle.get({
      id: job.id,
      token: job.token,
      state,
      result: outcome.kind === 'completed' ? JSON.stringify(outcome.result) : null,
      error: outcome.kind === 'failed' ? outcome.error : null,
      runAt,
      finishedAt: retry ? null : now,
    });
    if (!settled) return;
    if (outcome.kind === 'completed') {
      this.emit({ type: 'job-completed', jobId: job.id, result: outcome.result });
    } else if (outcome.kind === 'cancelled') {
      this.emit({ type: 'job-cancelled', jobId: job.id });
    } else if (retry) {
      const retryAt = new Date(runAt).toISOString();
      this.emit({
        type: 'job-failed',
        jobId: job.id,
        error: outcome.error,
        attempt: row.attempts,
        retryAt,
      });
    } else {
      this.emit({ type: 'job-dead', jobId: job.id, error: outcome.error });
    }
  }

  release(job: RunningJob): void {
    this.statements.release.run({ id: job.id, token: job.token, now: Date.now() });
    this.emitter.emit('job-ready');
  }

  /** Returns jobs of dead workers to the queue and drops finished jobs past retention. */
  sweep(everyMs: number): void {
    const now = Date.now();
    if (now - this.lastSweep < everyMs) return;
    this.lastSweep = now;
    for (const row of this.statements.expire.all({ now, leaseExpired: LEASE_EXPIRED_MESSAGE })) {
      if (row.state === 'dead')
        this.emit({ type: 'job-dead', jobId: row.id, error: row.error ?? '' });
      if (row.state === 'cancelled') this.emit({ type: 'job-cancelled', jobId: row.id });
    }
    if (now - this.lastPrune > 60_000) {
      this.lastPrune = now;
      this.statements.prune.run({
        completed: now - RETENTION_MS.completed,
        deadOrCancelled: now - RETENTION_MS.deadOrCancelled,
      });
    }
  }

  onJobReady(listener: () => void): () => void {
    this.emitter.on('job-ready', listener);
    return () => this.emitter.off('job-ready', listener);
  }

  forget(worker: SqliteJobWorker): void {
    this.workers.delete(worker);
  }

  private emit(event: JobEvent): void {
    this.emitter.emit(`job:${event.jobId}`, event);
  }

  private row(id: string): JobRow {
    const row = this.statements.get.get(id);
    if (!row) throw jobNotFound(id);
    return row;
  }
}

/** One `work()` call: a claim loop over its queues, heartbeats for its running jobs. */
class SqliteJobWorker implements JobWorker {
  readonly running = new RunningJobs();
  private active = true;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly heartbeats: NodeJS.Timeout;
  private readonly stopListening: () => void;

  constructor(
    private readonly owner: SqliteJobQueue,
    readonly queues: readonly QueueName[],
    private readonly processors: JobProcessors,
    private readonly options: { concurrency: number; leaseMs: number; pollMs: number },
  ) {
    this.stopListening = owner.onJobReady(() => this.wake?.());
    this.heartbeats = setInterval(() => this.beat(), Math.max(options.leaseMs / 3, 10));
    this.loop = this.claimLoop();
  }

  close(options: CloseOptions = { graceful: true }): Promise<void> {
    this.closing ??= this.shutDown(options);
    return this.closing;
  }

  private async shutDown(options: CloseOptions): Promise<void> {
    this.active = false;
    this.wake?.();
    await this.loop;
    if (!options.graceful) {
      // As a crash would: nothing more is written, and the leases run out.
      clearInterval(this.heartbeats);
      for (const job of this.running.all()) this.running.interrupt(job.id, 'abandoned');
    } else if (!(await this.running.drain(options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS))) {
      for (const job of this.running.all()) {
        if (this.running.interrupt(job.id, 'released')) this.guard(() => this.owner.release(job));
      }
    }
    clearInterval(this.heartbeats);
    this.stopListening();
    this.owner.forget(this);
  }

  private async claimLoop(): Promise<void> {
    while (this.active) {
      this.guard(() => {
        this.owner.sweep(Math.min(1_000, this.options.leaseMs / 2));
        this.owner.fireSchedules();
        for (let row = this.claimNext(); row; row = this.claimNext()) this.start(row);
      });
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, this.options.pollMs);
      });
      clearTimeout(timer);
      this.wake = undefined;
    }
  }

  private claimNext(): JobRow | undefined {
    if (!this.active) return undefined;
    const open = this.queues.filter(
      (queue) => this.running.countFor(queue) < this.options.concurrency,
    );
    if (open.length === 0) return undefined;
    return this.owner.claim(open, randomUUID(), this.options.leaseMs);
  }

  private start(row: JobRow): void {
    const processor = processorFor(this.processors, row.queue);
    const identity = {
      id: row.id,
      queue: row.queue,
      attempt: row.attempts,
      token: row.lease_token!,
    };
    this.running.start(identity, async (job) => {
      const report = async (progress: { progress: number; message?: string }) => {
        const checked = checkProgress(progress);
        this.guard(() => this.owner.report(job, checked.progress, checked.message));
      };
      const outcome = await runAttempt(
        processor,
        job,
        () => JSON.parse(row.payload),
        report,
        traceFields(row.trace),
      );
      this.guard(() => this.owner.settle(job, row, outcome));
      this.wake?.();
    });
  }

  private beat(): void {
    for (const job of this.running.all()) {
      if (job.interruption && job.interruption !== 'cancelled') continue;
      this.guard(() => {
        const answer = this.owner.heartbeat(job, this.options.leaseMs);
        if (answer === 'lost') this.running.interrupt(job.id, 'lease-lost');
        if (answer === 'cancel') this.running.interrupt(job.id, 'cancelled');
      });
    }
  }

  /** A database error (busy beyond the timeout, file closed) is logged; the loop carries on. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.owner.logger?.warn({ err: (error as Error).message }, 'job queue database call failed');
    }
  }
}
