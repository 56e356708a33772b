import type { Redis } from 'ioredis';
import type { z } from 'zod';
import {
  callRedis,
  closeRedisConnection,
  RedisUnavailableError,
  createRedisConnection,
  waitUntilReady,
} from '../redis/connection.js';
import type { Subscription } from './pubsub.js';
import type { EventHandler, PubSub, PubSubLogger, Unsubscribe } from './pubsub.js';
import { assertChannel, ChannelHandlers, encodeEvent } from './pubsub.js';

export interface RedisPubSubOptions {
  /** `config.redis.url`. */
  url: string;
  /** Prepended to every channel, so deployments and tests sharing a Redis stay apart. */
  prefix?: string;
  /** Names the two connections in `CLIENT LIST`: `<name>-publisher`, `<name>-subscriber`. */
  name?: string;
  logger?: PubSubLogger;
  /** How long to wait for Redis at start-up. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /**
   * false: return at once even while Redis is down (a process that must start unready rather
   * than not at all); publishing fails with a 503 and subscriptions are made once it is up.
   * Default true.
   */
  waitForRedis?: boolean;
}

/**
 * Opens pub/sub over Redis with two connections of its own: a subscribed connection can run
 * nothing but (UN)SUBSCRIBE, so publishing needs another. Waits for both to be ready (a
 * `RedisUnavailableError` if Redis does not answer in time); after that, an outage makes
 * `publish` and new `subscribe` calls fail at once with a 503, and once Redis is back every
 * channel that still has handlers is subscribed again.
 *
 * @example
 *   const pubsub = await openRedisPubSub({ url: config.redis.url, prefix: 'keel:events:', logger });
 */
export async function openRedisPubSub(options: RedisPubSubOptions): Promise<PubSub> {
  const name = options.name ?? 'keel-pubsub';
  const connect = { logger: options.logger };
  const publisher = createRedisConnection(options.url, { ...connect, name: `${name}-publisher` });
  const subscriber = createRedisConnection(options.url, {
    ...connect,
    name: `${name}-subscriber`,
    purpose: 'subscriber',
  });
  const pubsub = new RedisPubSub(publisher, subscriber, options);
  if (options.waitForRedis === false) return pubsub;
  try {
    const timeoutMs = options.connectTimeoutMs ?? 5_000;
    await Promise.all([
      waitUntilReady(publisher, timeoutMs),
      waitUntilReady(subscriber, timeoutMs),
    ]);
  } catch (error) {
    await pubsub.close();
    throw error;
  }
  return pubsub;
}

class RedisPubSub implements PubSub {
  private readonly handlers: ChannelHandlers;
  private readonly prefix: string;
  /** The SUBSCRIBE sent for each channel, so a second handler waits for the first's. */
  private readonly subscribed = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly options: RedisPubSubOptions,
  ) {
    this.handlers = new ChannelHandlers(options.logger);
    this.prefix = options.prefix ?? 'keel:events:';
    subscriber.on('message', (channel: string, text: string) => {
      if (channel.startsWith(this.prefix)) {
        this.handlers.deliver(channel.slice(this.prefix.length), text);
      }
    });
    // A reconnected socket starts with no subscriptions (ioredis's own resubscription is off, see
    // connection.ts): restore them from the handlers we hold, which are the source of truth.
    subscriber.on('ready', () => this.resubscribe());
  }

  async publish(channel: string, event: object): Promise<void> {
    this.assertOpen();
    const text = encodeEvent(channel, event);
    await callRedis('publish', () => this.publisher.publish(this.prefix + channel, text));
  }

  async subscribe<T>(
    channel: string,
    handler: EventHandler<T>,
    schema?: z.ZodType<T>,
  ): Promise<Unsubscribe> {
    this.assertOpen();
    assertChannel(channel);
    // Refused while reconnecting even for a channel already subscribed: events would not arrive
    // until Redis is back, and the caller (an SSE route) should say so with a 503.
    if (this.subscriber.status !== 'ready') {
      throw new RedisUnavailableError(
        'subscribe',
        new Error(`connection ${this.subscriber.status}`),
      );
    }
    const subscription = this.handlers.add(channel, handler, schema);
    let pending = this.subscribed.get(channel);
    if (!pending) {
      pending = callRedis('subscribe', () => this.subscriber.subscribe(this.prefix + channel));
      this.subscribed.set(channel, pending);
    }
    try {
      await pending;
    } catch (error) {
      if (this.subscribed.get(channel) === pending) this.subscribed.delete(channel);
      this.handlers.remove(channel, subscription);
      throw error;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      await this.unsubscribe(channel, subscription);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.subscribed.clear();
    await Promise.all([
      closeRedisConnection(this.publisher),
      closeRedisConnection(this.subscriber),
    ]);
  }

  private async unsubscribe(channel: string, subscription: Subscription): Promise<void> {
    if (!this.handlers.remove(channel, subscription)) return;
    this.subscribed.delete(channel);
    if (this.closed || this.subscriber.status !== 'ready') return;
    try {
      await this.subscriber.unsubscribe(this.prefix + channel);
    } catch {
      // Harmless: a channel without handlers is ignored on arrival and not resubscribed.
    }
  }

  private resubscribe(): void {
    const channels = this.handlers.channels();
    if (this.closed || channels.length === 0) return;
    const restored = this.subscriber.subscribe(...channels.map((channel) => this.prefix + channel));
    for (const channel of channels) this.subscribed.set(channel, restored);
    restored.then(
      () =>
        this.options.logger?.info({ channels: channels.length }, 'Resubscribed after reconnect'),
      (error: unknown) => {
        // The next reconnect tries again; meanwhile a new subscribe must send its own SUBSCRIBE.
        for (const channel of channels) {
          if (this.subscribed.get(channel) === restored) this.subscribed.delete(channel);
        }
        this.options.logger?.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'Resubscribing after reconnect failed',
        );
      },
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('this pub/sub instance is closed');
  }
}
