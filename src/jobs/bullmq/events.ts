import { QueueEvents, type QueueEventsListener, QueueEventsProducer } from 'bullmq';
import type { QueueName } from '../contracts.js';
import type { JobEvent } from '../queue.js';
import { CANCELLED_MESSAGE } from '../runtime/errors.js';
import { type BullmqConnections, redisCall } from './connections.js';
import type { BullJob } from './states.js';

/** Published into a queue's event stream when a job is cancelled before a worker took it. */
const CANCELLED_EVENT = 'keel-job-cancelled';
interface KeelEventsListener extends QueueEventsListener {
  [CANCELLED_EVENT]: (args: { jobId: string }) => void;
}

/**
 * Job events from each queue's event stream (QueueEvents), so a client on any API replica hears a
 * job run by any worker: BullMQ's events mapped to ours, for the listeners of this handle.
 */
export class BullmqJobEvents {
  private readonly listeners = new Map<string, Set<(event: JobEvent) => void>>();
  private readonly streams = new Map<QueueName, QueueEvents>();
  private readonly producers = new Map<QueueName, QueueEventsProducer>();

  constructor(private readonly redis: BullmqConnections) {}

  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    const listeners = this.listeners.get(id) ?? new Set();
    listeners.add(listener);
    this.listeners.set(id, listeners);
    const since = Date.now();
    void this.redis.locate(id).then(
      (queue) => queue && this.stream(queue, since),
      (error: unknown) => this.redis.logError('subscribe', error),
    );
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(id);
    };
  }

  /** Tells every listener of a job no worker has taken yet that it is cancelled. */
  async announceCancelled(queue: QueueName, jobId: string): Promise<void> {
    await redisCall('announce cancel', () =>
      this.producer(queue).publishEvent({ eventName: CANCELLED_EVENT, jobId }, 10_000),
    );
  }

  async close(): Promise<void> {
    const closables = [...this.streams.values(), ...this.producers.values()];
    await Promise.allSettled(closables.map((closable) => closable.close()));
    this.listeners.clear();
  }

  private producer(name: QueueName): QueueEventsProducer {
    let producer = this.producers.get(name);
    if (!producer) {
      producer = new QueueEventsProducer(name, {
        connection: this.redis.connection,
        prefix: this.redis.prefix,
      });
      producer.on('error', (error) => this.redis.logError(`events ${name}`, error));
      this.producers.set(name, producer);
    }
    return producer;
  }

  /**
   * One QueueEvents per queue, opened when someone first follows one of its jobs. It reads the
   * stream from a second before `since` (stream ids are times), not from its own start: events
   * the job emitted while the stream was connecting would otherwise be lost to the first listener.
   */
  private stream(name: QueueName, since: number): QueueEvents {
    const existing = this.streams.get(name);
    if (existing) return existing;
    const stream = new QueueEvents(name, {
      connection: this.redis.waitingConnection,
      prefix: this.redis.prefix,
      lastEventId: `${since - 1_000}-0`,
    });
    stream.on('error', (error) => this.redis.logError(`events ${name}`, error));
    stream.on('progress', ({ jobId, data }) => {
      const progress = data as { progress?: number; message?: string };
      this.dispatch({
        type: 'job-progress',
        jobId,
        progress: progress.progress ?? 0,
        message: progress.message ?? null,
      });
    });
    stream.on('completed', ({ jobId, returnvalue }) =>
      this.dispatch({ type: 'job-completed', jobId, result: returnvalue ?? null }),
    );
    stream.on('failed', ({ jobId, failedReason }) =>
      this.dispatch(
        failedReason === CANCELLED_MESSAGE
          ? { type: 'job-cancelled', jobId }
          : { type: 'job-dead', jobId, error: failedReason },
      ),
    );
    // A failed attempt with attempts left shows up as the job going back to waiting or delayed.
    stream.on('delayed', ({ jobId, delay }) => void this.announceRetry(name, jobId, delay));
    stream.on('waiting', ({ jobId, prev }) => {
      if (prev === 'failed') void this.announceRetry(name, jobId, Date.now());
    });
    stream.on<KeelEventsListener>(CANCELLED_EVENT, ({ jobId }: { jobId: string }) =>
      this.dispatch({ type: 'job-cancelled', jobId }),
    );
    this.streams.set(name, stream);
    return stream;
  }

  private async announceRetry(name: QueueName, jobId: string, retryAt: number): Promise<void> {
    if (!this.listeners.has(jobId)) return;
    try {
      const job = (await this.redis.queue(name).getJob(jobId)) as BullJob | undefined;
      if (!job || job.attemptsMade === 0) return;
      this.dispatch({
        type: 'job-failed',
        jobId,
        error: job.failedReason,
        // Attempts used, leases that ran out included; unlike attemptsStarted, not raised yet
        // should a worker already have taken the job again.
        attempt: job.attemptsMade + job.stalledCounter,
        retryAt: new Date(retryAt).toISOString(),
      });
    } catch (error) {
      this.redis.logError('read job', error);
    }
  }

  private dispatch(event: JobEvent): void {
    for (const listener of this.listeners.get(event.jobId) ?? []) listener(event);
  }
}
