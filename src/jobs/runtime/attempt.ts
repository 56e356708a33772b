import { ValidationError } from '../../errors.js';
import { type QueueName, parsePayload } from '../contracts.js';
import type { JobProcessor, JobProcessors, JobProgressReport } from '../queue.js';
import { describeError, isRetryable } from './errors.js';
import { type RunningJob, givesUp } from './running-jobs.js';

/** What one attempt came to, and so what the adapter writes. */
export type AttemptOutcome =
  | { kind: 'completed'; result: unknown }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: string; retryable: boolean }
  | { kind: 'discarded' };

/**
 * Runs one attempt the same way in every adapter: the payload is re-validated (it may come from an
 * older release), the result is reduced to JSON, and the outcome says what the adapter must write.
 */
export async function runAttempt(
  processor: JobProcessor,
  job: RunningJob,
  readPayload: () => unknown,
  report: (progress: JobProgressReport) => Promise<void>,
  trace: Record<string, string>,
): Promise<AttemptOutcome> {
  try {
    const result: unknown = await processor({
      id: job.id,
      queue: job.queue,
      payload: parsePayload(job.queue, readPayload()),
      attempt: job.attempt,
      signal: job.controller.signal,
      report,
      trace,
    });
    if (givesUp(job.interruption)) return { kind: 'discarded' };
    return { kind: 'completed', result: JSON.parse(JSON.stringify(result ?? null)) as unknown };
  } catch (error) {
    if (givesUp(job.interruption)) return { kind: 'discarded' };
    if (job.interruption === 'cancelled') return { kind: 'cancelled' };
    return { kind: 'failed', error: describeError(error), retryable: isRetryable(error) };
  }
}

/** The processor for a queue, or a clear error when `work` was asked for a queue it cannot run. */
export function processorFor(processors: JobProcessors, queue: QueueName): JobProcessor {
  const processor = processors[queue] as JobProcessor | undefined;
  if (!processor) {
    throw new ValidationError('queue_not_available', `No processor for queue "${queue}"`, {
      queue,
    });
  }
  return processor;
}

/** A progress value must be a fraction; anything else is the processor's bug. */
export function checkProgress(report: JobProgressReport): {
  progress: number;
  message: string | null;
} {
  if (!(report.progress >= 0 && report.progress <= 1)) {
    throw new RangeError(`progress must be between 0 and 1, got ${report.progress}`);
  }
  return { progress: report.progress, message: report.message ?? null };
}

/**
 * A job's stored trace context back as carrier fields: anything but an object of strings (an
 * older job, a damaged value) is no context.
 */
export function traceFields(stored: string | null | undefined): Record<string, string> {
  if (!stored) return {};
  try {
    const value = JSON.parse(stored) as unknown;
    if (typeof value !== 'object' || value === null) return {};
    return Object.fromEntries(
      Object.entries(value).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}
