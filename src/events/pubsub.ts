import type { Logger } from 'pino';
import type { z } from 'zod';

/** An event as a subscriber without a schema receives it: a parsed JSON object. */
export type EventObject = Record<string, unknown>;
export type EventHandler<T> = (event: T) => void | Promise<void>;
/** Stops one handler; calling it again does nothing. */
export type Unsubscribe = () => Promise<void>;

/**
 * The pub/sub port: fan-out of events (job progress, sync status) to whoever listens, on any
 * process. With Redis, an SSE client connected to any API replica receives events produced by
 * any worker. Delivery is at most once, as Redis pub/sub is: an event published while a
 * subscriber is disconnected is lost, so a client that reconnects should re-read current state
 * (the job, the sync run) rather than rely on having seen every event.
 * Adapters: `pubsub-memory.ts` (one process), `pubsub-redis.ts`; both pass
 * `test/contracts/pubsub-contract.ts`.
 *
 * @example
 *   const unsubscribe = await pubsub.subscribe(`job:${id}`, (event) => sse.send('job-progress', event),
 *     jobProgressSchema);
 *   await pubsub.publish(`job:${id}`, { id, progress: 0.4 });
 *   request.raw.on('close', () => void unsubscribe());
 */
export interface PubSub {
  /** Sends a JSON object; resolves once the backend has taken it, not once it is delivered. */
  publish(channel: string, event: object): Promise<void>;
  /**
   * Calls `handler` with each event on `channel` until unsubscribed; resolves once events
   * published from then on will arrive. With a `schema`, events that do not match are skipped
   * for this handler. A handler that throws is reported and does not affect the others.
   */
  subscribe(channel: string, handler: EventHandler<EventObject>): Promise<Unsubscribe>;
  subscribe<T>(
    channel: string,
    handler: EventHandler<T>,
    schema: z.ZodType<T>,
  ): Promise<Unsubscribe>;
  /** Stops every subscription and releases connections; the instance cannot be used after. */
  close(): Promise<void>;
}

export type PubSubLogger = Pick<Logger, 'warn' | 'info'>;

/** Throws unless `channel` can name a channel; adapters call it before any work. */
export function assertChannel(channel: string): void {
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError('a channel must be a non-empty string');
  }
}

/** Serialises an event, refusing what is not a JSON object (the caller's bug). */
export function encodeEvent(channel: string, event: object): string {
  assertChannel(channel);
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new TypeError(`an event must be a JSON object, got ${describe(event)}`);
  }
  return JSON.stringify(event);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

export interface Subscription {
  handler: EventHandler<never>;
  schema: z.ZodType | undefined;
}

/**
 * The handlers of one adapter instance, by channel, and delivery to them; shared by adapters so
 * parsing, validation and error isolation behave the same everywhere.
 */
export class ChannelHandlers {
  private readonly byChannel = new Map<string, Set<Subscription>>();

  constructor(private readonly logger: PubSubLogger | undefined) {}

  /** Adds a handler; returns the token that removes it. */
  add<T>(channel: string, handler: EventHandler<T>, schema?: z.ZodType<T>): Subscription {
    const subscription: Subscription = { handler: handler as EventHandler<never>, schema };
    let handlers = this.byChannel.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.byChannel.set(channel, handlers);
    }
    handlers.add(subscription);
    return subscription;
  }

  /** Removes a handler; true when it was the channel's last one. */
  remove(channel: string, subscription: Subscription): boolean {
    const handlers = this.byChannel.get(channel);
    if (!handlers?.delete(subscription)) return false;
    if (handlers.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  clear(): void {
    this.byChannel.clear();
  }

  deliver(channel: string, text: string): void {
    const handlers = this.byChannel.get(channel);
    if (!handlers) return;
    const event = parseEvent(text);
    if (event === undefined) {
      this.logger?.warn({ channel }, 'Dropped an event that is not a JSON object');
      return;
    }
    // A copy: a handler may unsubscribe itself or others while we iterate.
    for (const subscription of [...handlers]) this.call(channel, subscription, event);
  }

  private call(channel: string, subscription: Subscription, event: EventObject): void {
    let payload: unknown = event;
    if (subscription.schema) {
      const result = subscription.schema.safeParse(event);
      if (!result.success) {
        this.logger?.warn({ channel }, 'Skipped an event that does not match the schema');
        return;
      }
      payload = result.data;
    }
    const report = (error: unknown) =>
      this.logger?.warn(
        { channel, err: error instanceof Error ? error.message : String(error) },
        'An event handler failed',
      );
    try {
      const outcome = (subscription.handler as EventHandler<unknown>)(payload);
      if (outcome instanceof Promise) outcome.catch(report);
    } catch (error) {
      report(error);
    }
  }
}

function parseEvent(text: string): EventObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return value as EventObject;
  } catch {
    return undefined;
  }
}
