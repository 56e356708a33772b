import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { describePubSubContract } from '../../test/contracts/pubsub-contract.js';
import type { EventObject } from './pubsub.js';
import { createMemoryPubSub } from './pubsub-memory.js';

describePubSubContract('memory', () => {
  const bus = new EventEmitter();
  return ({ logger }) => createMemoryPubSub({ bus, logger });
});

describe('memory pub/sub', () => {
  it('keeps instances without a shared bus apart', async () => {
    const first = createMemoryPubSub();
    const second = createMemoryPubSub();
    const received: EventObject[] = [];
    await second.subscribe('job:1', (event) => {
      received.push(event);
    });
    await first.publish('job:1', { step: 1 });
    await second.publish('job:1', { step: 2 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toEqual([{ step: 2 }]);
  });

  it('hands each event over as a JSON copy, never inside the publisher’s call', async () => {
    const pubsub = createMemoryPubSub();
    const received: EventObject[] = [];
    await pubsub.subscribe('job:1', (event) => {
      received.push(event);
    });
    const event = { step: 1, at: new Date(0) };
    const publishing = pubsub.publish('job:1', event);
    expect(received).toEqual([]);
    await publishing;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(received).toEqual([{ step: 1, at: '1970-01-01T00:00:00.000Z' }]);
  });
});
