import { describe, expect, it } from 'vitest';
import { parseBlock, readSse } from './sse';

function streamOf(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

describe('reading Server-Sent Events from fetch', () => {
  it('reassembles events split across chunks and skips heartbeat comments', async () => {
    const response = streamOf([
      'event: meta\ndata: {"traceId":"t1"}\n\n: heartbeat\n\nevent: del',
      'ta\ndata: {"text":"Hel',
      'lo"}\r\n\r\nevent: done\ndata: {}\n\n',
    ]);
    const events = [];
    for await (const event of readSse(response)) events.push(event);
    expect(events).toEqual([
      { event: 'meta', data: '{"traceId":"t1"}' },
      { event: 'delta', data: '{"text":"Hello"}' },
      { event: 'done', data: '{}' },
    ]);
  });

  it('joins multi-line data and defaults the event name', () => {
    expect(parseBlock('data: a\ndata: b')).toEqual({ event: 'message', data: 'a\nb' });
    expect(parseBlock(': only a comment')).toBeUndefined();
  });

  it('keeps the event id a client resumes after', () => {
    expect(parseBlock('id: 1733400000000-2\nevent: job-updated\ndata: {}')).toEqual({
      event: 'job-updated',
      data: '{}',
      id: '1733400000000-2',
    });
  });
});
