import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from './idempotency-memory.js';
import { IdempotentCalls } from './idempotent-calls.js';

const KEY = 'd3b07384-d9a0-4c9b-8f3e-2a1c5e6f7a8b';

function countedCall(body: unknown, delayMs = 50) {
  let runs = 0;
  return {
    runs: () => runs,
    call: async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { status: 200, body };
    },
  };
}

describe('IdempotentCalls (memory)', () => {
  it('runs a call once per key: a retry during or after it gets the first outcome', async () => {
    const calls = new IdempotentCalls(new MemoryIdempotencyStore(), { pollMs: 5 });
    const counted = countedCall({ answer: 'first' });
    const [first, during] = await Promise.all([
      calls.run(KEY, counted.call),
      calls.run(KEY, counted.call),
    ]);
    const after = await calls.run(KEY, counted.call);
    expect(counted.runs()).toBe(1);
    expect(first).toEqual({ outcome: { status: 200, body: { answer: 'first' } }, replayed: false });
    expect(during).toEqual({ outcome: first.outcome, replayed: true });
    expect(after).toEqual({ outcome: first.outcome, replayed: true });
  });

  it('runs every call without a key, and calls under other keys apart', async () => {
    const calls = new IdempotentCalls(new MemoryIdempotencyStore());
    const counted = countedCall({}, 0);
    await calls.run(undefined, counted.call);
    await calls.run(undefined, counted.call);
    await calls.run(`${KEY}-2`, counted.call);
    expect(counted.runs()).toBe(3);
  });

  it('frees the key of an abandoned call, so the retry runs it', async () => {
    const calls = new IdempotentCalls(new MemoryIdempotencyStore(), { pollMs: 5 });
    await expect(
      calls.run(KEY, async () => {
        throw new Error('caller left');
      }),
    ).rejects.toThrow('caller left');
    const counted = countedCall({ answer: 'second' }, 0);
    expect(await calls.run(KEY, counted.call)).toMatchObject({ replayed: false });
    expect(counted.runs()).toBe(1);
  });

  it('takes over a key whose owner died once its lease runs out', async () => {
    const store = new MemoryIdempotencyStore();
    await store.claim(KEY, 40);
    const calls = new IdempotentCalls(store, { pollMs: 5 });
    const counted = countedCall({ answer: 'taken over' }, 0);
    expect(await calls.run(KEY, counted.call)).toMatchObject({ replayed: false });
    expect(counted.runs()).toBe(1);
  });

  it('keeps finished outcomes for the window only', async () => {
    const calls = new IdempotentCalls(new MemoryIdempotencyStore(), { windowMs: 20 });
    const counted = countedCall({}, 0);
    await calls.run(KEY, counted.call);
    await new Promise((resolve) => setTimeout(resolve, 40));
    await calls.run(KEY, counted.call);
    expect(counted.runs()).toBe(2);
  });
});
