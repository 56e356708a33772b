import { expect } from 'vitest';
import { serverSentEvents } from '../../src/net/server-sent-events.js';

/** One Server-Sent Event as a client sees it; comments (heartbeats) are left out. */
export interface ReceivedEvent {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Follows an event stream over a real connection, as a browser tab would, and hands its events
 * over one by one.
 *
 * @example
 *   const stream = await openEventStream(`${address}/v1/realtime?topic=job:j1`, headers);
 *   const [first] = await stream.next(1);
 *   await stream.close();
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  const received: ReceivedEvent[] = [];
  let ended = false;
  const reading = (async () => {
    try {
      const text = response.body!.pipeThrough(new TextDecoderStream());
      for await (const { id, event, data } of serverSentEvents(text)) {
        received.push({
          id,
          event: event ?? 'message',
          data: JSON.parse(data) as ReceivedEvent['data'],
        });
      }
    } catch {
      // Aborted by close().
    } finally {
      ended = true;
    }
  })();
  let taken = 0;
  return {
    response,
    /** The next `count` events; fails after `timeoutMs` without them. */
    async next(count: number, timeoutMs = 5_000): Promise<ReceivedEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < taken + count) {
        if (ended || Date.now() > deadline) {
          throw new Error(
            `got ${received.length - taken} of ${count} events: ${JSON.stringify(received.slice(taken))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const events = received.slice(taken, taken + count);
      taken += count;
      return events;
    },
    /** Events received and not yet taken with `next`. */
    pending: () => received.slice(taken),
    get ended() {
      return ended;
    },
    async close(): Promise<void> {
      abort.abort();
      await reading;
    },
  };
}

/**
 * Checks a resumed conversation stream: exactly the `missed` questions come first, then, after
 * `ask` sends one more, that one and nothing else (nothing replayed twice).
 */
export async function expectResumedExactly(
  stream: Awaited<ReturnType<typeof openEventStream>>,
  missed: string[],
  ask: (message: string) => Promise<void>,
): Promise<void> {
  const question = (event: ReceivedEvent) =>
    (event.data.messages as { content: string }[])[0]!.content;
  expect((await stream.next(missed.length)).map(question)).toEqual(missed);
  await ask('And the audit log?');
  expect((await stream.next(1)).map(question)).toEqual(['And the audit log?']);
  expect(stream.pending()).toEqual([]);
}
