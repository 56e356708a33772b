import type { Metrics } from '../telemetry/metrics.js';
import type { JobQueue } from './queue.js';

/**
 * The job queue with each enqueue counted per queue (`keel_jobs_enqueued_total`). Job outcomes are
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
      const job = await queue.enqueue(name, payload, options);
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
