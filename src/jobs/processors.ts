import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ValidationError } from '../errors.js';
import { QUEUE_NAMES, type QueueName, isQueueName } from './contracts.js';
import { type IngestDependencies, createIngestProcessor } from './processors/ingest.js';
import { type WebhookDependencies, createWebhookProcessor } from './processors/webhooks.js';
import { type JobProcessor, type JobProcessors, describeError, isRetryable } from './queue.js';

export interface ProcessorDependencies {
  logger: Logger;
  /** Where the job metrics go: the process's `/metrics` registry. */
  registry: Registry;
  ingest: IngestDependencies;
  webhooks: WebhookDependencies;
}

/**
 * Marks a queue whose processor comes with later work. It is listed, not faked: enqueueing to it
 * is refused (`queue_not_available`), so no job waits for a worker that does not exist.
 */
const NOT_YET_REGISTERED = 'not-yet-registered';

type Registration<Q extends QueueName> =
  ((dependencies: ProcessorDependencies) => JobProcessor<Q>) | typeof NOT_YET_REGISTERED;

/** The one place that says which processor runs each queue. */
const REGISTRY: { [Q in QueueName]: Registration<Q> } = {
  ingest: (dependencies) => createIngestProcessor(dependencies.ingest),
  webhooks: (dependencies) => createWebhookProcessor(dependencies.webhooks),
  generate: NOT_YET_REGISTERED,
  memory: NOT_YET_REGISTERED,
  images: NOT_YET_REGISTERED,
  predictions: NOT_YET_REGISTERED,
};

/** The queues that have a processor: pass them as `accepts` when opening a queue. */
export const AVAILABLE_QUEUES: readonly QueueName[] = QUEUE_NAMES.filter(
  (queue) => REGISTRY[queue] !== NOT_YET_REGISTERED,
);

/**
 * A queue name from outside (a CLI flag, a request), refused unless a processor runs it.
 *
 * @example
 *   const queues = options.queues.split(',').map(availableQueue); // keel worker --queues ingest
 */
export function availableQueue(name: string): QueueName {
  if (!isQueueName(name)) {
    throw new ValidationError('unknown_queue', `There is no queue "${name}"`, {
      queue: name,
      queues: QUEUE_NAMES,
    });
  }
  if (!AVAILABLE_QUEUES.includes(name)) throw notAvailable(name);
  return name;
}

const notAvailable = (queue: QueueName) =>
  new ValidationError('queue_not_available', `Queue "${queue}" has no processor yet`, {
    queue,
    available: AVAILABLE_QUEUES,
  });

function jobMetrics(registry: Registry) {
  // Opening a second worker in the same process must not register the metrics twice.
  const existing = (name: string) => registry.getSingleMetric(name);
  return {
    attempts: (existing('keel_job_attempts_total') ??
      new Counter({
        name: 'keel_job_attempts_total',
        help: 'Job attempts by queue and outcome',
        labelNames: ['queue', 'outcome'] as const,
        registers: [registry],
      })) as Counter<'queue' | 'outcome'>,
    duration: (existing('keel_job_duration_seconds') ??
      new Histogram({
        name: 'keel_job_duration_seconds',
        help: 'Job attempt duration by queue',
        labelNames: ['queue'] as const,
        buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
        registers: [registry],
      })) as Histogram<'queue'>,
  };
}

/**
 * The one wrapper every processor gets: a log line per attempt (ids, outcome, duration, never the
 * payload), attempt counts and durations for `/metrics`, and the job id on every log line as the
 * trace key. Tracing spans would be added here, once.
 */
function instrument<Q extends QueueName>(
  queue: Q,
  processor: JobProcessor<Q>,
  logger: Logger,
  metrics: ReturnType<typeof jobMetrics>,
): JobProcessor<Q> {
  return async (context) => {
    const log = logger.child({ jobId: context.id, queue, attempt: context.attempt });
    const started = Date.now();
    const stopTimer = metrics.duration.startTimer({ queue });
    try {
      const result = await processor(context);
      metrics.attempts.inc({ queue, outcome: 'completed' });
      log.info({ durationMs: Date.now() - started }, 'job completed');
      return result;
    } catch (error) {
      const outcome = context.signal.aborted ? 'interrupted' : 'failed';
      metrics.attempts.inc({ queue, outcome });
      log.warn(
        {
          durationMs: Date.now() - started,
          err: describeError(error),
          retryable: isRetryable(error),
        },
        `job attempt ${outcome}`,
      );
      throw error;
    } finally {
      stopTimer();
    }
  };
}

function build<Q extends QueueName>(
  queue: Q,
  dependencies: ProcessorDependencies,
  metrics: ReturnType<typeof jobMetrics>,
): JobProcessor<Q> {
  const registration: Registration<Q> = REGISTRY[queue];
  if (registration === NOT_YET_REGISTERED) throw notAvailable(queue);
  return instrument(queue, registration(dependencies), dependencies.logger, metrics);
}

/**
 * The processors for `queues` (default: every available one), each built and wrapped once.
 *
 * @example
 *   const processors = createProcessors({ logger, registry: metrics.registry, ingest, webhooks });
 *   const worker = jobs.work(AVAILABLE_QUEUES, processors, { concurrency: 2 });
 */
export function createProcessors(
  dependencies: ProcessorDependencies,
  queues: readonly QueueName[] = AVAILABLE_QUEUES,
): JobProcessors {
  const metrics = jobMetrics(dependencies.registry);
  const processors: Record<string, JobProcessor<never>> = {};
  for (const queue of queues) processors[queue] = build(queue, dependencies, metrics);
  return processors as JobProcessors;
}
