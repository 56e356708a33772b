import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ValidationError } from '../errors.js';
import { QUEUE_NAMES, type QueueName, isQueueName } from './contracts.js';
import { type GenerateDependencies, createGenerateProcessor } from './processors/generate.js';
import { type ImageDependencies, createImageProcessor } from './processors/images.js';
import { type IngestDependencies, createIngestProcessor } from './processors/ingest.js';
import { type MemoryDependencies, createMemoryProcessor } from './processors/memory.js';
import {
  type PredictionDependencies,
  createPredictionProcessor,
} from './processors/predictions.js';
import { type VisionDependencies, createVisionProcessor } from './processors/vision.js';
import { type WebhookDependencies, createWebhookProcessor } from './processors/webhooks.js';
import type { JobProcessor, JobProcessors } from './queue.js';
import { describeError, isRetryable } from './runtime/errors.js';
import { SpanKind, contextFrom, inSpan } from '../telemetry/tracing.js';

export interface ProcessorDependencies {
  logger: Logger;
  /** Where the job metrics go: the process's `/metrics` registry. */
  registry: Registry;
  ingest: IngestDependencies;
  webhooks: WebhookDependencies;
  /** Optional groups: a queue whose group is not given is not offered (see `availableQueues`). */
  generate?: GenerateDependencies;
  /** Given only when an image provider is configured (`createImageProvider(config)`). */
  images?: ImageDependencies;
  predictions?: PredictionDependencies;
  memory?: MemoryDependencies;
  /** Given only when a vision provider is configured (`KEEL_VISION`). */
  vision?: VisionDependencies;
}

/** The dependency groups a process may go without; each one opens the queue of the same name. */
export type OptionalDependencyGroup = 'generate' | 'images' | 'predictions' | 'memory' | 'vision';
const OPTIONAL_GROUPS: readonly OptionalDependencyGroup[] = [
  'generate',
  'images',
  'predictions',
  'memory',
  'vision',
];

type Registration<Q extends QueueName> = (dependencies: ProcessorDependencies) => JobProcessor<Q>;

/** The one place that says which processor runs each queue. */
const REGISTRY: { [Q in QueueName]: Registration<Q> } = {
  ingest: (dependencies) => createIngestProcessor(dependencies.ingest),
  webhooks: (dependencies) => createWebhookProcessor(dependencies.webhooks),
  generate: (dependencies) => createGenerateProcessor(given(dependencies, 'generate')),
  memory: (dependencies) => createMemoryProcessor(given(dependencies, 'memory')),
  images: (dependencies) => createImageProcessor(given(dependencies, 'images')),
  predictions: (dependencies) => createPredictionProcessor(given(dependencies, 'predictions')),
  vision: (dependencies) => createVisionProcessor(given(dependencies, 'vision')),
};

const isOptional = (queue: QueueName): queue is OptionalDependencyGroup =>
  (OPTIONAL_GROUPS as readonly string[]).includes(queue);

/**
 * The queues every process can run: a processor exists and needs nothing optional. Pass
 * `availableQueues(…)` as `accepts` instead to offer the optional queues a process has.
 */
export const AVAILABLE_QUEUES: readonly QueueName[] = QUEUE_NAMES.filter(
  (queue) => !isOptional(queue),
);

/**
 * The queues a process can offer: `AVAILABLE_QUEUES` plus each optional queue whose dependency
 * group is given (any truthy value counts, so an API process that builds no processors can say
 * what its workers will have). A queue left out refuses jobs rather than leaving them waiting.
 *
 * @example
 *   const images = createImageProvider(config);
 *   const accepts = availableQueues({ generate: true, predictions: true, images });
 */
export function availableQueues(
  groups: Partial<Record<OptionalDependencyGroup, unknown>>,
): QueueName[] {
  return QUEUE_NAMES.filter(
    (queue) => AVAILABLE_QUEUES.includes(queue) || (isOptional(queue) && Boolean(groups[queue])),
  );
}

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
  // An optional queue passes here; `createProcessors` refuses it if its dependencies are missing.
  return name;
}

const notConfigured = (queue: QueueName, available: readonly QueueName[]) =>
  new ValidationError(
    'queue_not_available',
    `Queue "${queue}" is not configured in this process (its dependencies were not given)`,
    { queue, available },
  );

/** An optional dependency group, or `queue_not_available` when this process was not given it. */
function given<G extends OptionalDependencyGroup>(
  dependencies: ProcessorDependencies,
  group: G,
): NonNullable<ProcessorDependencies[G]> {
  const value = dependencies[group];
  if (!value) throw notConfigured(group, availableQueues(dependencies));
  return value;
}

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
 * payload), attempt counts and durations for `/metrics`, the job id on every log line, and a
 * consumer span `<queue> process` per attempt that continues the trace the job was enqueued in
 * (attributes: queue, job id, attempt; never the payload).
 */
function instrument<Q extends QueueName>(
  queue: Q,
  processor: JobProcessor<Q>,
  logger: Logger,
  metrics: ReturnType<typeof jobMetrics>,
): JobProcessor<Q> {
  return (context) =>
    inSpan(
      `${queue} process`,
      {
        'messaging.system': 'keel',
        'messaging.destination.name': queue,
        'messaging.message.id': context.id,
        'keel.job.attempt': context.attempt,
      },
      () => attempt(context),
      { kind: SpanKind.CONSUMER, parent: contextFrom(context.trace ?? {}) },
    );

  async function attempt(context: Parameters<JobProcessor<Q>>[0]): Promise<unknown> {
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
  }
}

function build<Q extends QueueName>(
  queue: Q,
  dependencies: ProcessorDependencies,
  metrics: ReturnType<typeof jobMetrics>,
): JobProcessor<Q> {
  const registration: Registration<Q> = REGISTRY[queue];
  return instrument(queue, registration(dependencies), dependencies.logger, metrics);
}

/**
 * The processors for `queues` (default: every queue the dependencies make available), each built
 * and wrapped once. Asking for a queue whose optional dependencies are missing throws.
 *
 * @example
 *   const dependencies = { logger, registry: metrics.registry, ingest, webhooks,
 *     generate: { answers: keel.answers, quotas: keel.quotas, blobs: keel.blobs }, predictions: { blobs: keel.blobs } };
 *   const processors = createProcessors(dependencies);
 *   const worker = jobs.work(availableQueues(dependencies), processors, { concurrency: 2 });
 */
export function createProcessors(
  dependencies: ProcessorDependencies,
  queues: readonly QueueName[] = availableQueues(dependencies),
): JobProcessors {
  const metrics = jobMetrics(dependencies.registry);
  const processors: Record<string, JobProcessor<never>> = {};
  for (const queue of queues) processors[queue] = build(queue, dependencies, metrics);
  return processors as JobProcessors;
}
