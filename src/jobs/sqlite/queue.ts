import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import { ConflictError } from '../../errors.js';
import type { JobPayloads, QueueName } from '../contracts.js';
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
import { SqliteJobEvents } from './events.js';
import { SqliteLeases } from './leases.js';
import { type JobRow, toRecord } from './records.js';
import { migrate } from './schema.js';
import { SqliteJobSchedules } from './schedules.js';
import { type Statements, prepareStatements } from './statements.js';
import { SqliteJobWorker, type SqliteWorkerHost } from './worker.js';

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
export class SqliteJobQueue implements JobQueue, SqliteWorkerHost {
  readonly bus = new SqliteJobEvents();
  readonly leases: SqliteLeases;
  private readonly workers = new Set<SqliteJobWorker>();
  private readonly statements: Statements;
  /** Fired by this handle's workers: see `SqliteJobSchedules.fireDue`. */
  readonly schedules: SqliteJobSchedules;
  private lastSweep = 0;
  private lastPrune = 0;

  private constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly options: SqliteJobQueueOptions,
  ) {
    this.statements = prepareStatements(database);
    this.leases = new SqliteLeases(database, this.statements, this.bus);
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
    this.bus.jobReady();
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
    if (cancelledWaiting) this.bus.emit({ type: 'job-cancelled', jobId: id });
    // A job running in this process hears it now; one elsewhere at its next heartbeat.
    for (const worker of this.workers) worker.running.interrupt(id, 'cancelled');
    return toRecord(this.row(id));
  }

  async retry(id: string): Promise<JobRecord> {
    if (this.statements.requeue.run({ id, now: Date.now() }).changes === 0) {
      throw notRetryable(toRecord(this.row(id)));
    }
    this.bus.jobReady();
    return toRecord(this.row(id));
  }

  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    return this.bus.subscribe(id, listener);
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
    this.bus.clear();
    if (this.database.open) this.database.close();
  }

  // ── used by the workers of this handle (SqliteWorkerHost) ───────────────────────────────────

  fireSchedules(): void {
    if (this.schedules.fireDue() > 0) this.bus.jobReady();
  }

  sweep(everyMs: number): void {
    const now = Date.now();
    if (now - this.lastSweep < everyMs) return;
    this.lastSweep = now;
    this.leases.expire(now);
    if (now - this.lastPrune > 60_000) {
      this.lastPrune = now;
      this.statements.prune.run({
        completed: now - RETENTION_MS.completed,
        deadOrCancelled: now - RETENTION_MS.deadOrCancelled,
      });
    }
  }

  forget(worker: SqliteJobWorker): void {
    this.workers.delete(worker);
  }

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

  private row(id: string): JobRow {
    const row = this.statements.get.get(id);
    if (!row) throw jobNotFound(id);
    return row;
  }
}
