import type { Redis } from 'ioredis';
import { callRedis } from '../redis/connection.js';
import {
  REPLAY_EVENTS_PER_TOPIC,
  REPLAY_PAGE_SIZE,
  REPLAY_WINDOW_MS,
  type RealtimeEvent,
  type ReplayBuffer,
  type ReplayPage,
  ZERO_EVENT_ID,
  compareEventIds,
} from './realtime.js';

export interface RedisReplayOptions {
  /** A request connection (`keel.redis`); the buffer does not close it. */
  connection: Redis;
  /** Prepended to each topic's stream key. Default `keel:realtime:`. */
  prefix?: string;
  eventsPerTopic?: number;
  windowMs?: number;
}

/**
 * The replay buffer shared by every replica: one Redis stream per topic, capped (`MAXLEN ~`) and
 * expiring once idle past the window. Redis numbers the events, so ids increase across replicas,
 * and `XINFO STREAM` tells whether the cap cut into what a reconnecting client missed.
 *
 * @example
 *   const buffer = createRedisReplayBuffer({ connection: keel.redis });
 */
export function createRedisReplayBuffer(options: RedisReplayOptions): ReplayBuffer {
  const redis = options.connection;
  const prefix = options.prefix ?? 'keel:realtime:';
  const cap = options.eventsPerTopic ?? REPLAY_EVENTS_PER_TOPIC;
  const windowMs = options.windowMs ?? REPLAY_WINDOW_MS;

  return {
    async append(topic, event) {
      const key = prefix + topic;
      const at = new Date().toISOString();
      const body = JSON.stringify({ type: event.type, data: event.data ?? null, at });
      const replies = await callRedis('realtime append', () =>
        redis
          .multi()
          .xadd(key, 'MAXLEN', '~', String(cap), '*', 'event', body)
          .pexpire(key, windowMs)
          .exec(),
      );
      const [error, id] = replies?.[0] ?? [new Error('transaction discarded'), null];
      if (error) throw error;
      return { id: String(id), topic, type: event.type, data: event.data ?? null, at };
    },

    async after(topic, afterId, limit = REPLAY_PAGE_SIZE): Promise<ReplayPage> {
      const key = prefix + topic;
      const replies = await callRedis('realtime read', () =>
        redis
          .pipeline()
          .exists(key)
          .xinfo('STREAM', key)
          .xrange(key, `(${afterId}`, '+', 'COUNT', limit)
          .exec(),
      );
      const [[, exists], [infoError, info], [rangeError, entries]] = replies as [
        [Error | null, number],
        [Error | null, unknown[]],
        [Error | null, [string, string[]][]],
      ];
      if (exists !== 1) return { events: [], trimmed: false, exists: false };
      if (infoError) throw infoError;
      if (rangeError) throw rangeError;
      // Trimming leaves `max-deleted-entry-id` alone; what it removed is the entries added but no
      // longer held, all older than the first one held. Resuming from just before that first
      // entry may therefore be told of a gap that is not there: a spare re-read, never a miss.
      const trimmedAny = Number(field(info, 'entries-added')) > Number(field(info, 'length'));
      const first = String(field(info, 'recorded-first-entry-id') ?? ZERO_EVENT_ID);
      return {
        events: entries.map(([id, fields]) => decode(topic, id, fields)),
        trimmed: trimmedAny && compareEventIds(first, afterId) > 0,
        exists: true,
      };
    },

    async latestId(topic) {
      const key = prefix + topic;
      const [entry] = await callRedis('realtime latest', () =>
        redis.xrevrange(key, '+', '-', 'COUNT', 1),
      );
      return entry?.[0] ?? ZERO_EVENT_ID;
    },

    async close() {},
  };
}

/** A value of `XINFO STREAM`'s flat name/value reply. */
function field(reply: unknown[], name: string): unknown {
  const index = reply.indexOf(name);
  return index === -1 ? undefined : reply[index + 1];
}

function decode(topic: string, id: string, fields: string[]): RealtimeEvent {
  const body = JSON.parse(fields[fields.indexOf('event') + 1] ?? '{}') as {
    type: string;
    data: unknown;
    at: string;
  };
  return { id, topic, type: body.type, data: body.data, at: body.at };
}
