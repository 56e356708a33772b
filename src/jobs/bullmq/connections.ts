import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { callRedis, closeRedisConnection, createRedisConnection } from '../../redis/connection.js';
import { QUEUE_NAMES, type QueueName } from '../contracts.js';

/** Producer calls wait at most this long for Redis, then answer 503. */
const CALL_TIMEOUT_MS = 3_000;

/** A Redis call that answers 503 `dependency_unavailable` when Redis is down or silent for 3 s. */
export async function redisCall<T>(operation: string, command: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${CALL_TIMEOUT_MS} ms`)),
      CALL_TIMEOUT_MS,
    );
  });
  try {
    return await callRedis(operation, () => Promise.race([command(), timeout]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What one queue handle holds in Redis: its two connections, one BullMQ `Queue` per name under
 * its key prefix, and a log of Redis errors that says an outage once, not per call.
 */
export class BullmqConnections {
  /** Commands that should fail fast while Redis is down (producers, flags). */
  readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly lastErrorLog = new Map<string, number>();
  private waiting: Redis | undefined;

  constructor(
    private readonly url: string,
    readonly prefix: string,
    private readonly logger: Pick<Logger, 'warn' | 'info'> | undefined,
  ) {
    this.connection = createRedisConnection(url, {
      name: 'keel-jobs',
      commandTimeoutMs: CALL_TIMEOUT_MS,
      ...(logger && { logger }),
    });
  }

  /**
   * For workers and QueueEvents, which wait through an outage instead of failing (BullMQ requires
   * `maxRetriesPerRequest: null` there, and duplicates it for its blocking reads). Opened on first
   * use, so an API process that never follows a job does not hold it.
   */
  get waitingConnection(): Redis {
    if (!this.waiting) {
      this.waiting = new Redis(this.url, {
        connectionName: 'keel-jobs-worker',
        maxRetriesPerRequest: null,
        retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
      });
      this.waiting.on('error', (error: Error) => this.logError('redis', error));
    }
    return this.waiting;
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', (error) => this.logError(`queue ${name}`, error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Which queue holds the id: one round trip over every queue's job key. */
  async locate(id: string): Promise<QueueName | undefined> {
    const pipeline = this.connection.pipeline();
    for (const name of QUEUE_NAMES) pipeline.exists(this.queue(name).toKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
    const index = replies.findIndex(([error, exists]) => !error && exists === 1);
    return index === -1 ? undefined : QUEUE_NAMES[index];
  }

  /** The flag a cancel sets and workers poll (see `BullmqJobQueue`). */
  cancelKey(id: string): string {
    return `${this.prefix}:keel-cancel:${id}`;
  }

  /** Logs a Redis or BullMQ error at most every 10 s per message: an outage is one line, not a flood. */
  logError(source: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const last = this.lastErrorLog.get(message) ?? 0;
    if (Date.now() - last < 10_000) return;
    this.lastErrorLog.set(message, Date.now());
    this.logger?.warn({ err: message, source }, 'job queue: Redis call failed');
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    await closeRedisConnection(this.connection);
    this.waiting?.disconnect();
  }
}
