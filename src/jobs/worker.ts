import { ValidationError } from '../errors.js';
import type { QueueName } from './contracts.js';
import {
  AVAILABLE_QUEUES,
  type ProcessorDependencies,
  availableQueue,
  availableQueues,
  createProcessors,
} from './processors.js';
import type { JobQueue, JobWorker } from './queue.js';

export interface StartWorkerOptions {
  /** Queues to run; default every queue whose processor has its dependencies here. */
  queues?: readonly QueueName[];
  /** Jobs of each queue run at once; default 1. */
  concurrency?: number;
}

/**
 * How long a graceful shutdown lets running jobs finish before handing them back to the queue:
 * under Kubernetes' default 30 s grace period, so the release happens before the SIGKILL.
 */
export const WORKER_CLOSE_TIMEOUT_MS = 25_000;

/**
 * Builds the processors for `queues` and starts one worker on them.
 *
 * @example
 *   const worker = startJobWorker(jobs, dependencies, { queues: ['ingest'], concurrency: 2 });
 *   await worker.close({ graceful: true, timeoutMs: WORKER_CLOSE_TIMEOUT_MS });
 */
export function startJobWorker(
  jobs: JobQueue,
  dependencies: ProcessorDependencies,
  options: StartWorkerOptions = {},
): JobWorker {
  const queues = options.queues ?? availableQueues(dependencies);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new ValidationError('invalid_concurrency', 'concurrency must be an integer 1..256', {
      concurrency,
    });
  }
  return jobs.work(queues, createProcessors(dependencies, queues), { concurrency });
}

/**
 * A comma-separated queue list from outside (`keel worker --queues ingest,webhooks`): known queue
 * names, at least one. A queue whose dependencies this process lacks is refused when the worker
 * starts (`queue_not_available`).
 */
export function parseQueueList(text: string): QueueName[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) {
    throw new ValidationError('invalid_queues', 'Name at least one queue', {
      available: AVAILABLE_QUEUES,
    });
  }
  return [...new Set(names.map(availableQueue))];
}
