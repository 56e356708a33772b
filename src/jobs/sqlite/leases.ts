import type BetterSqlite3 from 'better-sqlite3';
import type { QueueName } from '../contracts.js';
import type { JobState } from '../queue.js';
import type { AttemptOutcome } from '../runtime/attempt.js';
import { LEASE_EXPIRED_MESSAGE } from '../runtime/errors.js';
import type { RunningJob } from '../runtime/running-jobs.js';
import type { SqliteJobEvents } from './events.js';
import type { JobRow } from './records.js';
import type { Statements } from './statements.js';

/** The wait before retry number `failures` (1 = first retry): doubling, jittered into [½, 1]. */
export function backoffDelayMs(failures: number, baseMs: number, random = Math.random): number {
  const full = baseMs * 2 ** Math.max(0, failures - 1);
  return Math.round(full - full * 0.5 * random());
}

/**
 * The running side of the jobs table: a worker claims a job under a lease token, keeps the lease
 * with heartbeats, and writes the attempt's outcome only while the token is still its own. A lease
 * that runs out counts as an attempt; a released job's does not.
 */
export class SqliteLeases {
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly statements: Statements,
    private readonly bus: SqliteJobEvents,
  ) {}

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
      this.bus.emit({ type: 'job-progress', jobId: job.id, progress, message });
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
      this.bus.emit({ type: 'job-completed', jobId: job.id, result: outcome.result });
    } else if (outcome.kind === 'cancelled') {
      this.bus.emit({ type: 'job-cancelled', jobId: job.id });
    } else if (retry) {
      const retryAt = new Date(runAt).toISOString();
      this.bus.emit({
        type: 'job-failed',
        jobId: job.id,
        error: outcome.error,
        attempt: row.attempts,
        retryAt,
      });
    } else {
      this.bus.emit({ type: 'job-dead', jobId: job.id, error: outcome.error });
    }
  }

  release(job: RunningJob): void {
    this.statements.release.run({ id: job.id, token: job.token, now: Date.now() });
    this.bus.jobReady();
  }

  /** Returns the jobs of dead workers to the queue, or to `dead` when that was their last attempt. */
  expire(now: number): void {
    for (const row of this.statements.expire.all({ now, leaseExpired: LEASE_EXPIRED_MESSAGE })) {
      if (row.state === 'dead')
        this.bus.emit({ type: 'job-dead', jobId: row.id, error: row.error ?? '' });
      if (row.state === 'cancelled') this.bus.emit({ type: 'job-cancelled', jobId: row.id });
    }
  }
}
