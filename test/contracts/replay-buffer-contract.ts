import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReplayBuffer, ZERO_EVENT_ID, compareEventIds } from '../../src/events/realtime.js';

/** Opens a buffer keeping `eventsPerTopic` events per topic, for `windowMs` of idleness. */
export type OpenReplayBuffer = (options: {
  eventsPerTopic: number;
  windowMs: number;
}) => ReplayBuffer | Promise<ReplayBuffer>;

/**
 * The replay buffer port's contract: every adapter (memory, Redis stream) must pass it unchanged.
 *
 * @example
 *   describeReplayBufferContract('memory', (options) => createMemoryReplayBuffer(options));
 */
export function describeReplayBufferContract(name: string, open: OpenReplayBuffer): void {
  describe(`replay buffer contract: ${name}`, () => {
    const opened: ReplayBuffer[] = [];
    const buffer = async (eventsPerTopic = 100, windowMs = 60_000) => {
      const instance = await open({ eventsPerTopic, windowMs });
      opened.push(instance);
      return instance;
    };
    const topic = () => `job:${randomUUID()}`;
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((instance) => instance.close()));
    });

    it('numbers events in increasing order and returns exactly those after an id', async () => {
      const replay = await buffer();
      const name = topic();
      const ids: string[] = [];
      for (let step = 1; step <= 5; step += 1) {
        const event = await replay.append(name, { type: 'job-progress', data: { step } });
        expect(event).toMatchObject({ topic: name, type: 'job-progress', data: { step } });
        ids.push(event.id);
      }
      expect([...ids].sort(compareEventIds)).toEqual(ids);
      expect(new Set(ids).size).toBe(5);

      const page = await replay.after(name, ids[1]!);
      expect(page.events.map((event) => event.data)).toEqual([
        { step: 3 },
        { step: 4 },
        { step: 5 },
      ]);
      expect(page.events.map((event) => event.id)).toEqual(ids.slice(2));
      expect(page).toMatchObject({ trimmed: false, exists: true });
      expect((await replay.after(name, ZERO_EVENT_ID, 2)).events).toHaveLength(2);
      expect(await replay.latestId(name)).toBe(ids[4]);
    });

    it('keeps topics apart and says when a topic holds nothing', async () => {
      const replay = await buffer();
      const [first, second] = [topic(), topic()];
      await replay.append(first, { type: 'a', data: {} });
      expect(await replay.after(second, ZERO_EVENT_ID)).toEqual({
        events: [],
        trimmed: false,
        exists: false,
      });
      expect(await replay.latestId(second)).toBe(ZERO_EVENT_ID);
    });

    it('drops the oldest events past the cap and says when that cut into a resume', async () => {
      const replay = await buffer(3);
      const name = topic();
      const ids: string[] = [];
      // Redis trims in whole blocks (`MAXLEN ~`): enough events that some block goes.
      for (let step = 1; step <= 400; step += 1) {
        ids.push((await replay.append(name, { type: 'tick', data: { step } })).id);
      }
      const fromStart = await replay.after(name, ids[0]!, 1_000);
      expect(fromStart.trimmed).toBe(true);
      expect(fromStart.events.length).toBeLessThan(399);
      expect(fromStart.events.at(-1)?.id).toBe(ids.at(-1));
      const recent = await replay.after(name, ids[397]!);
      expect(recent).toMatchObject({ trimmed: false, exists: true });
      expect(recent.events.map((event) => event.id)).toEqual(ids.slice(398));
    });

    it('forgets a topic left idle past its window', async () => {
      const replay = await buffer(100, 200);
      const name = topic();
      const event = await replay.append(name, { type: 'a', data: {} });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await replay.after(name, ZERO_EVENT_ID)).toMatchObject({ exists: false });
      const next = await replay.append(name, { type: 'b', data: {} });
      expect(compareEventIds(next.id, event.id)).toBeGreaterThan(0);
    });
  });
}
