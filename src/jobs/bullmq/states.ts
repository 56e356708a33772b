import type { Job } from 'bullmq';
import type { JobPayloads, QueueName } from '../contracts.js';
import type { JobRecord, JobState } from '../queue.js';
import { CANCELLED_MESSAGE } from '../runtime/errors.js';

export type BullJob = Job<JobPayloads[QueueName], unknown, string>;
export type BullState = Exclude<Awaited<ReturnType<BullJob['getState']>>, 'unknown'>;

/** BullMQ's states behind each of ours; a job is mapped after it is read (see `toRecord`). */
export const BULL_STATES: Record<JobState, BullState[]> = {
  queued: ['waiting', 'prioritized', 'delayed'],
  failed: ['waiting', 'prioritized', 'delayed'],
  running: ['active'],
  completed: ['completed'],
  dead: ['failed'],
  cancelled: ['failed', 'waiting', 'prioritized', 'delayed'],
};
export const ALL_BULL_STATES: BullState[] = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
];

/** Our state of a BullMQ job: its set, refined by why it failed and whether it failed before. */
function stateOf(job: BullJob, bullState: BullState, cancelFlag: boolean): JobState {
  if (bullState === 'active') return 'running';
  if (bullState === 'completed') return 'completed';
  if (bullState === 'failed') return job.failedReason === CANCELLED_MESSAGE ? 'cancelled' : 'dead';
  // Waiting, prioritized or delayed: a flagged job is cancelled even before a worker closes it.
  if (cancelFlag) return 'cancelled';
  return job.attemptsMade > 0 ? 'failed' : 'queued';
}

export function toRecord(job: BullJob, bullState: BullState, cancelFlag: boolean): JobRecord {
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
