import type { Metrics } from '../telemetry/metrics.js';
import { SpanKind, inSpan, traceCarrier } from '../telemetry/tracing.js';
import type { JobQueue } from './queue.js';

/**
 * The job queue with each enqueue counted per queue (`keel_jobs_enqueued_total`) and traced: a
 * producer span `<queue> publish` whose context travels with the job, so the worker's span of
 * each attempt (`processors.ts`) continues the enqueuing request's trace. Job outcomes are
 * counted where jobs run (`processors.ts`), queue depth at each scrape (`JobQueue.depth`).
 *
 * @example
 *   const jobs = instrumentJobQueue(openJobQueue(settings), metrics);
 */
export function instrumentJobQueue(
  queue: JobQueue,
  metrics: Pick<Metrics, 'jobsEnqueued'>,
): JobQueue {
  return {
    async enqueue(name, payload, options) {
      const job = await inSpan(
        `${name} publish`,
        { 'messaging.system': 'keel', 'messaging.destination.name': name },
        async (span) => {
          const record = await queue.enqueue(name, payload, { ...options, trace: traceCarrier() });
          span.setAttribute('messaging.message.id', record.id);
          return record;
        },
        { kind: SpanKind.PRODUCER },
      );
      metrics.jobsEnqueued.inc({ queue: name });
      return job;
    },
    get: (id) => queue.get(id),
    list: (filter) => queue.list(filter),
    cancel: (id) => queue.cancel(id),
    retry: (id) => queue.retry(id),
    subscribe: (id, listener) => queue.subscribe(id, listener),
    events: (id, options) => queue.events(id, options),
    work: (queues, processors, options) => queue.work(queues, processors, options),
    depth: () => queue.depth(),
    schedules: queue.schedules,
    ping: () => queue.ping(),
    close: () => queue.close(),
  };
}
