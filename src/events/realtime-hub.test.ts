import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createMemoryPubSub } from './pubsub-memory.js';
import { type RealtimeDelivery, RealtimeHub } from './realtime-hub.js';
import { createMemoryReplayBuffer } from './replay-memory.js';

/** Two hubs as two replicas would be: one bus (Redis pub/sub), one buffer (Redis streams). */
function replicas(eventsPerTopic = 100) {
  const bus = new EventEmitter();
  const buffer = createMemoryReplayBuffer({ eventsPerTopic });
  return [
    new RealtimeHub(buffer, createMemoryPubSub({ bus })),
    new RealtimeHub(buffer, createMemoryPubSub({ bus })),
  ] as const;
}

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const steps = (deliveries: RealtimeDelivery[]) =>
  deliveries.map((delivery) =>
    delivery.kind === 'event' ? (delivery.event.data as { step: number }).step : delivery.kind,
  );

describe('realtime hub', () => {
  it('delivers events published on either replica once each, in the order they were stored', async () => {
    const [first, second] = replicas();
    const received: RealtimeDelivery[] = [];
    const follower = await second.follow('job:j1', {}, (delivery) => received.push(delivery));
    await Promise.all([
      first.publish('job:j1', 'job-progress', { step: 1 }),
      second.publish('job:j1', 'job-progress', { step: 2 }),
    ]);
    await first.publish('job:j1', 'job-progress', { step: 3 });
    await until(() => received.length === 3);
    await follower.poll();
    expect(steps(received)).toEqual([1, 2, 3]);
    await follower.stop();
  });

  it('starts from now when no last event id is given', async () => {
    const [hub] = replicas();
    await hub.publish('job:j1', 'job-progress', { step: 1 });
    const received: RealtimeDelivery[] = [];
    const follower = await hub.follow('job:j1', {}, (delivery) => received.push(delivery));
    await hub.publish('job:j1', 'job-progress', { step: 2 });
    await until(() => received.length === 1);
    expect(steps(received)).toEqual([2]);
    await follower.stop();
  });

  it('resumes after Last-Event-ID with exactly the missed events, then live ones', async () => {
    const [hub, other] = replicas();
    const seen: RealtimeDelivery[] = [];
    const before = await hub.follow('conversation:c1', {}, (delivery) => seen.push(delivery));
    await hub.publish('conversation:c1', 'message-appended', { step: 1 });
    await until(() => seen.length === 1);
    await before.stop();
    const lastEventId = seen[0]!.kind === 'event' ? seen[0]!.event.id : '';

    // Missed while disconnected.
    await other.publish('conversation:c1', 'message-appended', { step: 2 });
    await other.publish('conversation:c1', 'message-appended', { step: 3 });
    const resumed: RealtimeDelivery[] = [];
    const after = await other.follow('conversation:c1', { lastEventId }, (delivery) =>
      resumed.push(delivery),
    );
    expect(steps(resumed)).toEqual([2, 3]);
    await hub.publish('conversation:c1', 'message-appended', { step: 4 });
    await until(() => resumed.length === 3);
    await after.poll();
    expect(steps(resumed)).toEqual([2, 3, 4]);
    await after.stop();
  });

  it('says reset first when the window no longer holds every missed event', async () => {
    const [hub] = replicas(2);
    const first = await hub.publish('job:j1', 'job-progress', { step: 1 });
    for (let step = 2; step <= 5; step += 1) await hub.publish('job:j1', 'job-progress', { step });
    const resumed: RealtimeDelivery[] = [];
    const follower = await hub.follow('job:j1', { lastEventId: first.id }, (delivery) =>
      resumed.push(delivery),
    );
    expect(steps(resumed)).toEqual(['reset', 4, 5]);
    await follower.stop();

    const unknown: RealtimeDelivery[] = [];
    const gone = await hub.follow('job:never', { lastEventId: first.id }, (delivery) =>
      unknown.push(delivery),
    );
    expect(steps(unknown)).toEqual(['reset']);
    await gone.stop();
  });

  it('delivers nothing after stop', async () => {
    const [hub] = replicas();
    const received: RealtimeDelivery[] = [];
    const follower = await hub.follow('job:j1', {}, (delivery) => received.push(delivery));
    await follower.stop();
    await hub.publish('job:j1', 'job-progress', { step: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await follower.poll();
    expect(received).toEqual([]);
  });
});
