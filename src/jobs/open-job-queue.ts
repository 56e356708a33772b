import { join } from 'node:path';
import type { Logger } from 'pino';
import type { QueueName } from './contracts.js';
import { AVAILABLE_QUEUES } from './processors.js';
import type { JobQueue } from './queue.js';
import { BullmqJobQueue } from './bullmq/queue.js';
import { SqliteJobQueue } from './sqlite/queue.js';

export interface JobQueueSettings {
  /** `REDIS_URL`: BullMQ when set. */
  redisUrl: string | undefined;
  /** `KEEL_DATA_DIR`: the SQLite queue's `jobs.db` lives here otherwise. */
  dataDir: string;
  logger: Logger;
  /** Queues enqueueing is allowed for; default every queue that has a processor. */
  accepts?: readonly QueueName[];
}

/**
 * The one factory that picks the queue adapter: BullMQ on Redis in server mode, a SQLite file
 * beside the store otherwise. Opening is cheap and lazy in both (no worker runs until `work`).
 *
 * @example
 *   const jobs = openJobQueue({ redisUrl: config.redis.url, dataDir: config.dataDir, logger });
 */
export function openJobQueue(settings: JobQueueSettings): JobQueue {
  const accepts = settings.accepts ?? AVAILABLE_QUEUES;
  if (settings.redisUrl) {
    return BullmqJobQueue.open({ url: settings.redisUrl, accepts, logger: settings.logger });
  }
  return SqliteJobQueue.open({
    file: join(settings.dataDir, 'jobs.db'),
    accepts,
    logger: settings.logger,
  });
}
