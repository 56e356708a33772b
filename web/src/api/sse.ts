import { EventSourceParserStream } from 'eventsource-parser/stream';

/** One Server-Sent Event. */
export interface SseMessage {
  event: string;
  data: string;
  /** The event's `id:`, sent back as `Last-Event-ID` to resume after it. */
  id?: string;
}

/**
 * Reads `text/event-stream` from a fetch response, parsed by eventsource-parser (events split
 * across chunks, CRLF, multi-line data, heartbeat comments). EventSource is not used: it cannot
 * POST (chat) nor send an Authorization header, and the access token is never put in a URL.
 */
export async function* readSse(response: Response): AsyncGenerator<SseMessage> {
  if (!response.body) return;
  const reader = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield { event: value.event ?? 'message', data: value.data, id: value.id };
    }
  } finally {
    // A reader that stops early (the answer is done, the topic followed to its end) closes the body.
    await reader.cancel().catch(() => undefined);
  }
}
