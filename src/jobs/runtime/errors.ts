import { ConflictError, KeelError, NotFoundError } from '../../errors.js';
import type { JobRecord } from '../queue.js';

/** The error of a job cancelled on request, as the adapters store it. */
export const CANCELLED_MESSAGE = 'job_cancelled: cancelled on request';
/** The error of a job whose last attempt ended with its worker's lease running out. */
export const LEASE_EXPIRED_MESSAGE =
  'lease_expired: the worker stopped answering on the last attempt';

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
