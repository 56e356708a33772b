import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

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

  send(event: string, data: unknown): void {
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
    this.reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.opened) this.reply.raw.end();
  }
}
