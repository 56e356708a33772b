import { expect } from 'vitest';

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
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const received: ReceivedEvent[] = [];
  let text = '';
  let ended = false;
  const reading = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        let boundary = text.indexOf('\n\n');
        while (boundary !== -1) {
          const block = text.slice(0, boundary);
          text = text.slice(boundary + 2);
          const event = parseBlock(block);
          if (event) received.push(event);
          boundary = text.indexOf('\n\n');
        }
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

function parseBlock(block: string): ReceivedEvent | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const [field, ...rest] = line.split(': ');
    const value = rest.join(': ');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  return { id, event, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
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
