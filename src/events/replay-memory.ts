import {
  REPLAY_EVENTS_PER_TOPIC,
  REPLAY_PAGE_SIZE,
  REPLAY_WINDOW_MS,
  type RealtimeEvent,
  type ReplayBuffer,
  ZERO_EVENT_ID,
  compareEventIds,
} from './realtime.js';

export interface MemoryReplayOptions {
  eventsPerTopic?: number;
  windowMs?: number;
  clock?: () => number;
}

interface Topic {
  events: RealtimeEvent[];
  /** The newest id dropped for the cap, if any was. */
  maxDeletedId: string | undefined;
  lastId: string;
  touchedAt: number;
}

/**
 * The replay buffer of the single process: each topic's newest events in memory, forgotten once
 * idle past the window. Ids follow the process clock, as a Redis stream's follow Redis's.
 *
 * @example
 *   const buffer = createMemoryReplayBuffer();
 */
export function createMemoryReplayBuffer(options: MemoryReplayOptions = {}): ReplayBuffer {
  return new MemoryReplayBuffer(
    options.eventsPerTopic ?? REPLAY_EVENTS_PER_TOPIC,
    options.windowMs ?? REPLAY_WINDOW_MS,
    options.clock ?? Date.now,
  );
}

class MemoryReplayBuffer implements ReplayBuffer {
  /** In order of last publication, so the idle ones are at the front. */
  private readonly topics = new Map<string, Topic>();
  private lastTime = 0;
  private sequence = 0;

  constructor(
    private readonly cap: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  async append(topicName: string, event: { type: string; data: unknown }): Promise<RealtimeEvent> {
    const now = this.clock();
    this.forgetIdle(now);
    const topic = this.topics.get(topicName) ?? {
      events: [],
      maxDeletedId: undefined,
      lastId: ZERO_EVENT_ID,
      touchedAt: now,
    };
    const stored: RealtimeEvent = {
      id: this.nextId(now),
      topic: topicName,
      type: event.type,
      // A copy, as a Redis round trip would make: later changes to the caller's object stay out.
      data: JSON.parse(JSON.stringify(event.data ?? null)) as unknown,
      at: new Date(now).toISOString(),
    };
    topic.events.push(stored);
    if (topic.events.length > this.cap) {
      topic.maxDeletedId = topic.events.splice(0, topic.events.length - this.cap).at(-1)!.id;
    }
    topic.lastId = stored.id;
    topic.touchedAt = now;
    this.topics.delete(topicName);
    this.topics.set(topicName, topic);
    return stored;
  }

  async after(topicName: string, afterId: string, limit = REPLAY_PAGE_SIZE) {
    const topic = this.live(topicName);
    if (!topic) return { events: [], trimmed: false, exists: false };
    const trimmed =
      topic.maxDeletedId !== undefined && compareEventIds(topic.maxDeletedId, afterId) > 0;
    const events = topic.events
      .filter((event) => compareEventIds(event.id, afterId) > 0)
      .slice(0, limit);
    return { events, trimmed, exists: true };
  }

  async latestId(topicName: string): Promise<string> {
    return this.live(topicName)?.lastId ?? ZERO_EVENT_ID;
  }

  async close(): Promise<void> {
    this.topics.clear();
  }

  private live(topicName: string): Topic | undefined {
    const topic = this.topics.get(topicName);
    if (topic && this.clock() - topic.touchedAt >= this.windowMs) {
      this.topics.delete(topicName);
      return undefined;
    }
    return topic;
  }

  private forgetIdle(now: number): void {
    for (const [name, topic] of this.topics) {
      if (now - topic.touchedAt < this.windowMs) return;
      this.topics.delete(name);
    }
  }

  private nextId(now: number): string {
    if (now > this.lastTime) {
      this.lastTime = now;
      this.sequence = 0;
    } else {
      this.sequence += 1;
    }
    return `${this.lastTime}-${this.sequence}`;
  }
}
