import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type { EventSourceMessage };

/**
 * The events of a `text/event-stream`, from its text as it arrives in chunks of any size. The
 * parsing is eventsource-parser's, to the spec: an event split across chunks, CRLF or CR line
 * ends, multi-line `data:`, comments, `event:` and `id:`. An unfinished event at the end of the
 * stream is dropped, as the spec says.
 *
 * @example
 *   for await (const event of serverSentEvents(body.pipeThrough(new TextDecoderStream())))
 *     console.log(event.event ?? 'message', event.data);
 */
export async function* serverSentEvents(
  chunks: AsyncIterable<string>,
): AsyncGenerator<EventSourceMessage> {
  const parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => parsed.push(event) });
  for await (const chunk of chunks) {
    parser.feed(chunk);
    yield* parsed.splice(0);
  }
}
