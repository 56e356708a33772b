import { KeelError } from '../../errors.js';
import type { QueueName } from '../contracts.js';

/** A running job is given back to the queue when its worker stays silent this long. */
export const DEFAULT_LEASE_MS = 30_000;
/** How long a graceful close waits for running jobs before it releases them. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;

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
export const givesUp = (interruption: Interruption | undefined) =>
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
