/**
 * The realtime channel's replay buffer port: every event published to a topic (`job:<id>`,
 * `conversation:<id>`, `agent:<name>`) is kept, with an id, for a bounded window, so a client
 * that reconnects with `Last-Event-ID` gets exactly the events it missed. Adapters:
 * `replay-memory.ts` (one process), `replay-redis.ts` (a Redis stream per topic); both pass
 * `test/contracts/replay-buffer-contract.ts`.
 *
 * Ids are `<milliseconds>-<sequence>`, as Redis stream ids are, increasing within a topic.
 *
 * @example
 *   const event = await buffer.append('job:j1', { type: 'job-progress', data: { progress: 0.5 } });
 *   const page = await buffer.after('job:j1', lastEventId);
 */
export interface ReplayBuffer {
  /** Stores the event at the end of the topic; the topic's window restarts from now. */
  append(topic: string, event: { type: string; data: unknown }): Promise<RealtimeEvent>;
  /** Up to `limit` events after `afterId`, oldest first, and what the window lost of them. */
  after(topic: string, afterId: string, limit?: number): Promise<ReplayPage>;
  /** The id of the topic's newest event ever stored, `ZERO_EVENT_ID` when it has none. */
  latestId(topic: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * What code that changes something needs to tell followers: the hub's `announce`, which stores
 * and fans out one event and never throws (a failure is logged; the change itself stands).
 */
export interface RealtimeAnnouncer {
  announce(topic: string, type: string, data: unknown): Promise<void>;
}

export interface RealtimeEvent {
  id: string;
  topic: string;
  /** Noun-then-verb: `job-progress`, `message-appended`, `agent-updated`. */
  type: string;
  data: unknown;
  /** ISO time of publication. */
  at: string;
}

export interface ReplayPage {
  events: RealtimeEvent[];
  /**
   * True when events after `afterId` were dropped from the window (the topic outgrew its cap),
   * so the page does not follow on from `afterId` without a gap.
   */
  trimmed: boolean;
  /** False when the topic holds nothing: never published to, or idle past its window. */
  exists: boolean;
}

/** Events kept per topic: the bound on what a reconnect can catch up on. */
export const REPLAY_EVENTS_PER_TOPIC = 500;
/** A topic nobody published to for this long is forgotten, its events with it. */
export const REPLAY_WINDOW_MS = 15 * 60_000;
/** Events read per `after` call by default. */
export const REPLAY_PAGE_SIZE = 200;

/** The id before every event: where a follower of a topic with no events starts. */
export const ZERO_EVENT_ID = '0-0';

const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

export function isEventId(text: string): boolean {
  return EVENT_ID.test(text);
}

/** Orders two event ids: negative when `a` came first. */
export function compareEventIds(a: string, b: string): number {
  const [aTime, aSequence] = parts(a);
  const [bTime, bSequence] = parts(b);
  return aTime - bTime || aSequence - bSequence;
}

function parts(id: string): [number, number] {
  const match = EVENT_ID.exec(id);
  if (!match) throw new TypeError(`not an event id: ${id}`);
  return [Number(match[1]), Number(match[2])];
}
