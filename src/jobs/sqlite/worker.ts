import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { QueueName } from '../contracts.js';
import type { CloseOptions, JobProcessors, JobWorker } from '../queue.js';
import { checkProgress, processorFor, runAttempt, traceFields } from '../runtime/attempt.js';
import { DEFAULT_CLOSE_TIMEOUT_MS, RunningJobs } from '../runtime/running-jobs.js';
import type { SqliteJobEvents } from './events.js';
import type { SqliteLeases } from './leases.js';
import type { JobRow } from './records.js';

/** What a worker needs from the queue handle that started it. */
export interface SqliteWorkerHost {
  readonly leases: SqliteLeases;
  readonly bus: SqliteJobEvents;
  readonly logger?: Pick<Logger, 'warn'> | undefined;
  /** Expires the leases of dead workers and drops old jobs, at most every `everyMs`. */
  sweep(everyMs: number): void;
  /** Enqueues the jobs of due schedule ticks. */
  fireSchedules(): void;
  forget(worker: SqliteJobWorker): void;
}

export interface SqliteWorkerOptions {
  concurrency: number;
  leaseMs: number;
  /** How often an idle worker looks for jobs other processes enqueued. */
  pollMs: number;
}

/** One `work()` call: a claim loop over its queues, heartbeats for its running jobs. */
export class SqliteJobWorker implements JobWorker {
  readonly running = new RunningJobs();
  private active = true;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly heartbeats: NodeJS.Timeout;
  private readonly stopListening: () => void;

  constructor(
    private readonly host: SqliteWorkerHost,
    readonly queues: readonly QueueName[],
    private readonly processors: JobProcessors,
    private readonly options: SqliteWorkerOptions,
  ) {
    this.stopListening = host.bus.onJobReady(() => this.wake?.());
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
        if (this.running.interrupt(job.id, 'released')) {
          this.guard(() => this.host.leases.release(job));
        }
      }
    }
    clearInterval(this.heartbeats);
    this.stopListening();
    this.host.forget(this);
  }

  private async claimLoop(): Promise<void> {
    while (this.active) {
      this.guard(() => {
        this.host.sweep(Math.min(1_000, this.options.leaseMs / 2));
        this.host.fireSchedules();
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
    return this.host.leases.claim(open, randomUUID(), this.options.leaseMs);
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
        this.guard(() => this.host.leases.report(job, checked.progress, checked.message));
      };
      const outcome = await runAttempt(
        processor,
        job,
        () => JSON.parse(row.payload),
        report,
        traceFields(row.trace),
      );
      this.guard(() => this.host.leases.settle(job, row, outcome));
      this.wake?.();
    });
  }

  private beat(): void {
    for (const job of this.running.all()) {
      if (job.interruption && job.interruption !== 'cancelled') continue;
      this.guard(() => {
        const answer = this.host.leases.heartbeat(job, this.options.leaseMs);
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
      this.host.logger?.warn({ err: (error as Error).message }, 'job queue database call failed');
    }
  }
}
