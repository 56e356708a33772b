import type { RealtimeAnnouncer } from '../events/realtime.js';
import type { QueueName } from './contracts.js';
import type { JobProcessor, JobProcessors, JobQueue, JobRecord } from './queue.js';

/** The realtime topic of one job. */
export const jobTopic = (id: string) => `job:${id}`;

/**
 * After an attempt returns, how long to wait for the queue to record its outcome before reading
 * the job: the adapter settles the job once the processor is done, a few milliseconds later.
 */
const SETTLE_WAITS_MS = [10, 40, 100, 250, 500, 1_000, 2_000, 4_000];

/**
 * The job queue with every change announced on the job's realtime topic, by the process that
 * made it (no replica relays another's events, so none is announced twice): `job-progress` as the
 * processor reports, `job-updated` (the job as `GET /v1/jobs/{id}` shows it) when an attempt
 * starts and once its outcome is recorded, and on cancel and retry.
 *
 * @example
 *   const jobs = announceJobUpdates(instrumentJobQueue(openJobQueue(settings), metrics), realtime);
 */
export function announceJobUpdates(queue: JobQueue, announcer: RealtimeAnnouncer): JobQueue {
  const updated = (job: JobRecord) => announcer.announce(jobTopic(job.id), 'job-updated', { job });
  const announceCurrent = async (id: string) => {
    const job = await queue.get(id).catch(() => undefined);
    if (job) await updated(job);
  };
  /** Announces the job once it is no longer in the attempt that just ended. */
  const announceSettled = async (id: string, attempt: number) => {
    for (const waitMs of SETTLE_WAITS_MS) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      const job = await queue.get(id).catch(() => undefined);
      if (!job) return;
      if (job.state !== 'running' || job.attempts !== attempt) {
        await updated(job);
        return;
      }
    }
  };
  const wrap =
    <Q extends QueueName>(processor: JobProcessor<Q>): JobProcessor<Q> =>
    async (context) => {
      await announceCurrent(context.id);
      const topic = jobTopic(context.id);
      try {
        return await processor({
          ...context,
          async report(progress) {
            await context.report(progress);
            await announcer.announce(topic, 'job-progress', {
              jobId: context.id,
              progress: progress.progress,
              message: progress.message ?? null,
            });
          },
        });
      } finally {
        void announceSettled(context.id, context.attempt);
      }
    };

  return {
    enqueue: (name, payload, options) => queue.enqueue(name, payload, options),
    get: (id) => queue.get(id),
    list: (filter) => queue.list(filter),
    async cancel(id) {
      const job = await queue.cancel(id);
      await updated(job);
      return job;
    },
    async retry(id) {
      const job = await queue.retry(id);
      await updated(job);
      return job;
    },
    subscribe: (id, listener) => queue.subscribe(id, listener),
    events: (id, options) => queue.events(id, options),
    work(queues, processors, options) {
      const wrapped: JobProcessors = {};
      for (const name of Object.keys(processors) as QueueName[]) {
        const processor = processors[name] as JobProcessor | undefined;
        if (processor) (wrapped as Record<QueueName, JobProcessor>)[name] = wrap(processor);
      }
      return queue.work(queues, wrapped, options);
    },
    depth: () => queue.depth(),
    schedules: queue.schedules,
    ping: () => queue.ping(),
    close: () => queue.close(),
  };
}
