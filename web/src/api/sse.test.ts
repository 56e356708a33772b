import { describe, expect, it } from 'vitest';
import { readSse, type SseMessage } from './sse';

async function eventsOf(chunks: string[]): Promise<SseMessage[]> {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const response = new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  const events: SseMessage[] = [];
  for await (const event of readSse(response)) events.push(event);
  return events;
}

describe('reading Server-Sent Events from fetch', () => {
  it('reassembles events split across chunks and skips heartbeat comments', async () => {
    expect(
      await eventsOf([
        'event: meta\ndata: {"traceId":"t1"}\n\n: heartbeat\n\nevent: del',
        'ta\ndata: {"text":"Hel',
        'lo"}\r\n\r\nevent: done\ndata: {}\n\n',
      ]),
    ).toEqual([
      { event: 'meta', data: '{"traceId":"t1"}' },
      { event: 'delta', data: '{"text":"Hello"}' },
      { event: 'done', data: '{}' },
    ]);
  });

  it('joins multi-line data, reads CR line ends split mid-pair and defaults the event name', async () => {
    expect(await eventsOf(['data: a\r', '\ndata:b\r\n\r', '\ndata: c\r\r\n'])).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c' },
    ]);
  });

  it('keeps the event id a client resumes after', async () => {
    expect(await eventsOf(['id: 1733400000000-2\nevent: job-updated\ndata: {}\n\n'])).toEqual([
      { event: 'job-updated', data: '{}', id: '1733400000000-2' },
    ]);
  });
});
