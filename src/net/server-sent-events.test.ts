import { describe, expect, it } from 'vitest';
import { serverSentEvents } from './server-sent-events.js';

async function eventsOf(chunks: string[]) {
  async function* arriving() {
    yield* chunks;
  }
  const events = [];
  for await (const event of serverSentEvents(arriving())) events.push(event);
  return events;
}

describe('serverSentEvents', () => {
  it('reassembles an event split across chunks, even inside a field name or a CRLF', async () => {
    expect(
      await eventsOf(['event: del', 'ta\r', '\ndata: {"text":"Hel', 'lo"}\r\n', '\r\n']),
    ).toEqual([{ event: 'delta', data: '{"text":"Hello"}', id: undefined }]);
  });

  it('joins multi-line data, reads CR-only line ends and skips comments', async () => {
    expect(
      await eventsOf([': heartbeat\n\ndata: first\rdata:second\r\rid: 7\ndata: x\n\n']),
    ).toEqual([
      { event: undefined, data: 'first\nsecond', id: undefined },
      { event: undefined, data: 'x', id: '7' },
    ]);
  });

  it('drops an event the stream ended in the middle of', async () => {
    expect(await eventsOf(['data: whole\n\n', 'data: cut o'])).toEqual([
      { event: undefined, data: 'whole', id: undefined },
    ]);
  });
});
