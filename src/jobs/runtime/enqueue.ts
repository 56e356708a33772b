import { ValidationError } from '../../errors.js';
import { type QueueName, QUEUE_DEFAULTS, parsePayload } from '../contracts.js';
import { type EnqueueOptions, MAX_PRIORITY } from '../queue.js';

/** Finished jobs are kept this long, so idempotent enqueue and the dead-letter list hold as long. */
export const RETENTION_MS = { completed: 7 * 86_400_000, deadOrCancelled: 30 * 86_400_000 };

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
