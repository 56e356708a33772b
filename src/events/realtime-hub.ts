import type { PubSub, PubSubLogger } from './pubsub.js';
import {
  REPLAY_PAGE_SIZE,
  type RealtimeEvent,
  type ReplayBuffer,
  ZERO_EVENT_ID,
} from './realtime.js';

/** What a follower receives: an event, or word that events were lost and state must be re-read. */
export type RealtimeDelivery =
  { kind: 'event'; event: RealtimeEvent } | { kind: 'reset'; reason: 'events_expired' };

export interface FollowOptions {
  /** Resume after this event (the client's `Last-Event-ID`); else follow from now. */
  lastEventId?: string | undefined;
}

export interface RealtimeFollower {
  /** Reads what arrived since the last read; the caller's heartbeat calls it as a safety net. */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

/** The pub/sub channel that says "topic X has new events". */
const channelOf = (topic: string) => `realtime:${topic}`;

/**
 * The realtime channel: publishing stores an event in the topic's replay buffer, then tells every
 * process through pub/sub (Redis in server mode) that the topic moved; each follower then reads
 * the buffer after the last id it delivered. The buffer, not the notice, carries the events, so
 * followers on any replica see them once each, in the buffer's order, even when two replicas
 * publish at once or a notice is lost (the heartbeat's `poll` catches up).
 *
 * @example
 *   const hub = new RealtimeHub(buffer, pubsub, logger);
 *   await hub.publish(`job:${id}`, 'job-progress', { jobId: id, progress: 0.5 });
 *   const follower = await hub.follow(`job:${id}`, { lastEventId }, (delivery) => send(delivery));
 */
export class RealtimeHub {
  constructor(
    private readonly buffer: ReplayBuffer,
    private readonly pubsub: PubSub,
    private readonly logger?: PubSubLogger,
  ) {}

  /** Stores and announces one event; throws when the buffer cannot be written (503 for Redis). */
  async publish(topic: string, type: string, data: unknown): Promise<RealtimeEvent> {
    const event = await this.buffer.append(topic, { type, data });
    // A lost notice only delays followers until their next poll: never fail the publisher for it.
    await this.pubsub.publish(channelOf(topic), { id: event.id }).catch((error: unknown) => {
      this.logger?.warn(
        { topic, err: error instanceof Error ? error.message : String(error) },
        'Announcing a realtime event failed; followers catch up at their next poll',
      );
    });
    return event;
  }

  /** `publish` for side effects of something that already happened: failures are only logged. */
  announce(topic: string, type: string, data: unknown): Promise<void> {
    return this.publish(topic, type, data).then(
      () => undefined,
      (error: unknown) =>
        this.logger?.warn(
          { topic, type, err: error instanceof Error ? error.message : String(error) },
          'Publishing a realtime event failed',
        ),
    );
  }

  /**
   * Delivers the topic's events to `deliver`, from after `lastEventId` (exactly the missed ones,
   * or a `reset` first when the window no longer holds them all) or from now on.
   */
  async follow(
    topic: string,
    options: FollowOptions,
    deliver: (delivery: RealtimeDelivery) => void,
  ): Promise<RealtimeFollower> {
    const follower = new TopicFollower(this.buffer, topic, deliver, this.logger);
    // Subscribed before the starting point is read, so nothing falls between the two.
    const unsubscribe = await this.pubsub.subscribe(channelOf(topic), () => void follower.poll());
    try {
      await follower.start(options.lastEventId);
    } catch (error) {
      await unsubscribe();
      throw error;
    }
    return {
      poll: () => follower.poll(),
      stop: async () => {
        follower.stopped = true;
        await unsubscribe();
      },
    };
  }
}

class TopicFollower {
  stopped = false;
  private cursor = ZERO_EVENT_ID;
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly buffer: ReplayBuffer,
    private readonly topic: string,
    private readonly deliver: (delivery: RealtimeDelivery) => void,
    private readonly logger: PubSubLogger | undefined,
  ) {}

  async start(lastEventId: string | undefined): Promise<void> {
    if (lastEventId === undefined) {
      this.cursor = await this.buffer.latestId(this.topic);
      return;
    }
    this.cursor = lastEventId;
    // A topic gone idle past its window may have held events after the client's last one.
    const first = await this.buffer.after(this.topic, this.cursor);
    if (first.trimmed || (!first.exists && lastEventId !== ZERO_EVENT_ID)) {
      this.deliver({ kind: 'reset', reason: 'events_expired' });
    }
    this.emit(first.events);
    await this.poll();
  }

  /** Reads and delivers what is new; calls arriving while a read runs share one more read. */
  poll(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.drain()
      .catch((error: unknown) =>
        this.logger?.warn(
          { topic: this.topic, err: error instanceof Error ? error.message : String(error) },
          'Reading realtime events failed; trying again at the next notice or poll',
        ),
      )
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async drain(): Promise<void> {
    let more = true;
    while (!this.stopped && (more || this.again)) {
      this.again = false;
      const page = await this.buffer.after(this.topic, this.cursor);
      if (page.trimmed) this.deliver({ kind: 'reset', reason: 'events_expired' });
      this.emit(page.events);
      more = page.events.length === REPLAY_PAGE_SIZE;
    }
  }

  private emit(events: RealtimeEvent[]): void {
    for (const event of events) {
      if (this.stopped) return;
      this.cursor = event.id;
      this.deliver({ kind: 'event', event });
    }
  }
}
