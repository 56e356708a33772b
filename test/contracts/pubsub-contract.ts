import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { EventObject, PubSub, PubSubLogger } from '../../src/events/pubsub.js';

/** Opens one instance; instances opened by one peer factory reach one another. */
export type OpenPeer = (options: { logger?: PubSubLogger }) => PubSub | Promise<PubSub>;

/** Collects the events a handler receives and waits for a number of them. */
class Inbox<T = EventObject> {
  readonly events: T[] = [];
  readonly handler = (event: T): void => {
    this.events.push(event);
  };

  async receive(count: number, timeoutMs = 3_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`received ${this.events.length} of ${count} events`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.events;
  }
}

/**
 * The pub/sub port's contract: every adapter (in-process, Redis) must pass it unchanged. To prove
 * that something was not delivered, a test publishes a sentinel after it on the same channel from
 * the same instance: events from one publisher arrive in order, so once the sentinel is in, the
 * earlier event would have been too.
 *
 * @example
 *   describePubSubContract('memory', () => {
 *     const bus = new EventEmitter();
 *     return ({ logger }) => createMemoryPubSub({ bus, logger });
 *   });
 */
export function describePubSubContract(name: string, network: () => OpenPeer): void {
  describe(`pub/sub contract: ${name}`, () => {
    const opened: PubSub[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((pubsub) => pubsub.close()));
    });
    const peers = async (count: number, logger?: PubSubLogger): Promise<PubSub[]> => {
      const open = network();
      const instances: PubSub[] = [];
      for (let index = 0; index < count; index++) instances.push(await open({ logger }));
      opened.push(...instances);
      return instances;
    };

    it('delivers an event published by one instance to subscribers on every instance', async () => {
      const [producer, replica] = await peers(2);
      const onReplica = new Inbox();
      const onProducer = new Inbox();
      await replica!.subscribe('job:1', onReplica.handler);
      await producer!.subscribe('job:1', onProducer.handler);

      const event = { id: 'job:1', progress: 0.5, stage: 'embedding — ✓', tags: ['a'], at: null };
      await producer!.publish('job:1', event);
      expect(await onReplica.receive(1)).toEqual([event]);
      expect(await onProducer.receive(1)).toEqual([event]);
    });

    it('keeps the order of one publisher and keeps many channels apart', async () => {
      const [producer, replica] = await peers(2);
      const channels = Array.from({ length: 25 }, (_, index) => `sync:${index}`);
      const inboxes = channels.map(() => new Inbox());
      await Promise.all(
        channels.map((channel, index) => replica!.subscribe(channel, inboxes[index]!.handler)),
      );

      for (const [index, channel] of channels.entries()) {
        for (let sequence = 0; sequence < 3; sequence++) {
          await producer!.publish(channel, { channel: index, sequence });
        }
      }
      for (const [index, inbox] of inboxes.entries()) {
        expect(await inbox.receive(3)).toEqual(
          [0, 1, 2].map((sequence) => ({ channel: index, sequence })),
        );
      }
    });

    it('stops delivery after unsubscribe, leaving the channel’s other handlers', async () => {
      const [producer, replica] = await peers(2);
      const leaving = new Inbox();
      const staying = new Inbox();
      const unsubscribe = await replica!.subscribe('job:2', leaving.handler);
      await replica!.subscribe('job:2', staying.handler);

      await producer!.publish('job:2', { step: 1 });
      await staying.receive(1);
      await unsubscribe();
      await unsubscribe();
      await producer!.publish('job:2', { step: 2 });
      expect(await staying.receive(2)).toEqual([{ step: 1 }, { step: 2 }]);
      expect(await leaving.receive(1)).toEqual([{ step: 1 }]);
    });

    it('delivers again to a channel subscribed after its last handler left', async () => {
      const [producer, replica] = await peers(2);
      const first = new Inbox();
      await (
        await replica!.subscribe('job:3', first.handler)
      )();
      const second = new Inbox();
      await replica!.subscribe('job:3', second.handler);
      await producer!.publish('job:3', { step: 1 });
      expect(await second.receive(1)).toEqual([{ step: 1 }]);
      expect(first.events).toEqual([]);
    });

    it('isolates a handler that throws or rejects, and reports it', async () => {
      const logger = { warn: vi.fn(), info: vi.fn() };
      const [producer, replica] = await peers(2, logger);
      const healthy = new Inbox();
      await replica!.subscribe('job:4', () => {
        throw new Error('handler bug');
      });
      await replica!.subscribe('job:4', async () => {
        throw new Error('async handler bug');
      });
      await replica!.subscribe('job:4', healthy.handler);

      await producer!.publish('job:4', { step: 1 });
      await producer!.publish('job:4', { step: 2 });
      expect(await healthy.receive(2)).toEqual([{ step: 1 }, { step: 2 }]);
      await vi.waitFor(() => expect(logger.warn).toHaveBeenCalledTimes(4));
    });

    it('skips, for a handler with a schema, the events that do not match it', async () => {
      const [producer, replica] = await peers(2);
      const progress = z.object({ id: z.string(), progress: z.number().min(0).max(1) });
      const typed = new Inbox<z.infer<typeof progress>>();
      const untyped = new Inbox();
      await replica!.subscribe('job:5', typed.handler, progress);
      await replica!.subscribe('job:5', untyped.handler);

      await producer!.publish('job:5', { id: 'j', progress: 7 });
      await producer!.publish('job:5', { id: 'j', progress: 1 });
      expect(await untyped.receive(2)).toHaveLength(2);
      expect(typed.events).toEqual([{ id: 'j', progress: 1 }]);
    });

    it('refuses an event that is not a JSON object and an empty channel', async () => {
      const [producer] = await peers(1);
      await expect(producer!.publish('job:6', [1, 2])).rejects.toThrow(TypeError);
      await expect(producer!.publish('job:6', null as unknown as object)).rejects.toThrow(
        TypeError,
      );
      await expect(producer!.publish('', { step: 1 })).rejects.toThrow(TypeError);
      await expect(producer!.subscribe('', () => {})).rejects.toThrow(TypeError);
    });

    it('delivers nothing to a closed instance and refuses to be used after close', async () => {
      const [producer, closing, staying] = await peers(3);
      const closed = new Inbox();
      const open = new Inbox();
      await closing!.subscribe('job:7', closed.handler);
      await staying!.subscribe('job:7', open.handler);
      await closing!.close();

      await producer!.publish('job:7', { step: 1 });
      await open.receive(1);
      expect(closed.events).toEqual([]);
      await expect(closing!.publish('job:7', { step: 2 })).rejects.toThrow(/closed/);
      await expect(closing!.subscribe('job:7', () => {})).rejects.toThrow(/closed/);
    });
  });
}
