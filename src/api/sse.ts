import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * A comment line this often keeps proxies and load balancers (which drop idle connections after
 * 30-60 s) from closing a stream that has nothing to say for a while.
 */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * A Server-Sent Events writer that opens the stream lazily, on the first event: until then an
 * error can still become an ordinary JSON 4xx response.
 */
export class SseStream {
  private opened = false;

  constructor(private readonly reply: FastifyReply) {}

  get isOpen(): boolean {
    return this.opened;
  }

  /** A named event (`event: meta`), as `/v1/chat` streams; with an id, a client resumes after it. */
  send(event: string, data: unknown, id?: string): void {
    this.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A comment line: clients ignore it, proxies see the connection is alive. */
  heartbeat(): void {
    this.write(': heartbeat\n\n');
  }

  /** An unnamed event, as OpenAI-style streams send every chunk. */
  data(data: unknown): void {
    this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** OpenAI's end-of-stream marker `data: [DONE]`, then the end. */
  done(): void {
    this.write('data: [DONE]\n\n');
    this.end();
  }

  private write(text: string): void {
    if (!this.opened) {
      this.reply.hijack();
      this.reply.raw.writeHead(200, {
        // Headers set by hooks so far (CORS for a web app on another origin, helmet's): a hijacked
        // reply skips Fastify's send path, which would otherwise add them.
        ...(this.reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(this.reply.request.id),
      });
      this.opened = true;
    }
    this.reply.raw.write(text);
  }

  end(): void {
    if (this.opened) this.reply.raw.end();
  }
}
