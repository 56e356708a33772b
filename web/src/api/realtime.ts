import { request } from './client';
import { ApiError } from './errors';
import { readSse } from './sse';

/** One event of `GET /v1/realtime`: its type and JSON data; `reset` means "re-read the object". */
export interface RealtimeMessage {
  type: string;
  data: Record<string, unknown>;
}

/** How long to wait before reconnecting after the stream dropped. */
const RECONNECT_MS = 1_000;

/**
 * Follows a realtime topic (`job:<id>`, `conversation:<id>`, `agent:<id>`) until `signal` aborts
 * or `onMessage` returns true. A dropped connection is resumed with `Last-Event-ID`, so the
 * server replays exactly what was missed (or sends `reset` when it no longer can). A 4xx ends
 * the follow with that error: retrying cannot help.
 */
export async function followTopic(
  topic: string,
  onMessage: (message: RealtimeMessage) => boolean | void | Promise<boolean | void>,
  signal: AbortSignal,
): Promise<void> {
  let lastEventId: string | undefined;
  while (!signal.aborted) {
    try {
      const response = await request('/v1/realtime', {
        query: { topic },
        accept: 'text/event-stream',
        signal,
        ...(lastEventId && { headers: { 'last-event-id': lastEventId } }),
      });
      for await (const event of readSse(response)) {
        if (event.id) lastEventId = event.id;
        const data = JSON.parse(event.data) as Record<string, unknown>;
        if (await onMessage({ type: event.event, data })) return;
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}
