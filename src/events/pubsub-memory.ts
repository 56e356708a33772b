import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import type { EventHandler, PubSub, PubSubLogger, Unsubscribe } from './pubsub.js';
import { assertChannel, ChannelHandlers, encodeEvent } from './pubsub.js';

export interface MemoryPubSubOptions {
  /**
   * The bus instances exchange events on; instances given the same bus see each other's events,
   * as replicas sharing one Redis do. Default: a bus of this instance's own.
   */
  bus?: EventEmitter;
  /** Told about handlers that fail and events that are skipped. */
  logger?: PubSubLogger;
}

const MESSAGE = 'message';

/**
 * Pub/sub inside one process, for the single-process deployment. Events travel as JSON text, as
 * they do through Redis, so a handler never shares an object with the publisher and anything JSON
 * cannot carry is lost the same way in both.
 *
 * @example
 *   const pubsub = createMemoryPubSub({ logger });
 *   await pubsub.subscribe('sync:docs', (event) => console.log(event));
 */
export function createMemoryPubSub(options: MemoryPubSubOptions = {}): PubSub {
  return new MemoryPubSub(options.bus ?? new EventEmitter(), options.logger);
}

class MemoryPubSub implements PubSub {
  private readonly handlers: ChannelHandlers;
  private closed = false;

  constructor(
    private readonly bus: EventEmitter,
    logger: PubSubLogger | undefined,
  ) {
    this.handlers = new ChannelHandlers(logger);
    // One listener per instance, however many channels: many instances on one bus must not
    // trip Node's leak warning.
    bus.setMaxListeners(0);
    bus.on(MESSAGE, this.onMessage);
  }

  async publish(channel: string, event: object): Promise<void> {
    this.assertOpen();
    this.bus.emit(MESSAGE, channel, encodeEvent(channel, event));
  }

  async subscribe<T>(
    channel: string,
    handler: EventHandler<T>,
    schema?: z.ZodType<T>,
  ): Promise<Unsubscribe> {
    this.assertOpen();
    assertChannel(channel);
    const subscription = this.handlers.add(channel, handler, schema);
    return async () => {
      this.handlers.remove(channel, subscription);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.bus.off(MESSAGE, this.onMessage);
    this.handlers.clear();
  }

  // Handlers run on a later microtask, as they would after a network hop: a handler that
  // publishes cannot recurse into itself, and the publisher never waits for its subscribers.
  private readonly onMessage = (channel: string, text: string): void => {
    queueMicrotask(() => this.handlers.deliver(channel, text));
  };

  private assertOpen(): void {
    if (this.closed) throw new Error('this pub/sub instance is closed');
  }
}
