import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { QueueName } from '../contracts.js';
import type { CloseOptions, JobProcessors, JobWorker } from '../queue.js';
import {
  type AttemptOutcome,
  checkProgress,
  processorFor,
  runAttempt,
  traceFields,
} from '../runtime/attempt.js';
import { CANCELLED_MESSAGE, LEASE_EXPIRED_MESSAGE } from '../runtime/errors.js';
import { DEFAULT_CLOSE_TIMEOUT_MS, RunningJobs } from '../runtime/running-jobs.js';
import { type BullmqConnections, redisCall } from './connections.js';
import type { BullJob } from './states.js';

/** One `work()` call: a BullMQ Worker per queue, sharing one record of running jobs. */
export class BullmqJobWorker implements JobWorker {
  readonly running = new RunningJobs();
  private readonly workers: Worker[];
  private readonly jobs = new Map<string, { job: BullJob; token: string; queue: QueueName }>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly redis: BullmqConnections,
    readonly queues: readonly QueueName[],
    private readonly processors: JobProcessors,
    private readonly options: { concurrency: number; leaseMs: number; onClosed: () => void },
  ) {
    this.workers = queues.map((queue) => {
      const worker = new Worker(
        queue,
        (job: BullJob, token?: string, signal?: AbortSignal) =>
          this.process(queue, job, token ?? '', signal),
        {
          connection: redis.waitingConnection,
          prefix: redis.prefix,
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
      worker.on('error', (error) => redis.logError(`worker ${queue}`, error));
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
    if (!options.graceful || this.redis.waitingConnection.status !== 'ready') {
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
    this.options.onClosed();
  }

  private async release(id: string): Promise<void> {
    const held = this.jobs.get(id);
    if (!held || !this.running.interrupt(id, 'released')) return;
    // The job is still ours: its start can be taken back before anyone else may take it.
    await this.uncountStart(held.queue, id);
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
      await this.uncountStart(queue, id);
      throw new UnrecoverableError(LEASE_EXPIRED_MESSAGE);
    }
    const processor = processorFor(this.processors, queue);
    let outcome = { kind: 'discarded' } as AttemptOutcome;
    const report = async (progress: { progress: number; message?: string }) => {
      const checked = checkProgress(progress);
      await redisCall('report progress', () => job.updateProgress(checked)).catch(
        (error: unknown) => this.redis.logError('report progress', error),
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

  /** Takes back one start of a job this worker holds: that start used no attempt. */
  private async uncountStart(queue: QueueName, id: string): Promise<void> {
    await redisCall('uncount start', () =>
      this.redis.connection.hincrby(this.redis.queue(queue).toKey(id), 'ats', -1),
    );
  }

  private async cancelRequested(id: string): Promise<boolean> {
    try {
      return (await this.redis.connection.exists(this.redis.cancelKey(id))) === 1;
    } catch {
      return false;
    }
  }
}
