import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { SpanKind, context, contextFrom, tracer } from './tracing.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of an incoming request: the caller's own `x-request-id` when it is a sane token
 * (the API forwards its id to the orchestrator this way, so both log the same id), else a new one.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * One server span per HTTP request (`POST /v1/chat`), a child of the caller's `traceparent` when
 * it sends one, active while the request's hooks and handler run, so the spans they open are its
 * children. It ends when the response is closed, streamed (SSE) responses included. Attributes:
 * method, route template, path without the query (which may hold search text), status, request id.
 *
 * @example
 *   const app = Fastify();
 *   traceRequests(app); // before the other hooks, so they run inside the span
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any server, logger and type provider
export function traceRequests(app: FastifyInstance<any, any, any, any, any>): void {
  const active = new WeakMap<FastifyRequest, { span: Span; context: Context }>();
  app.addHook('onRequest', (request, reply, done) => {
    const parent = contextFrom(request.headers);
    const span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0] ?? '/',
          'keel.request_id': request.id,
        },
      },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    active.set(request, { span, context: spanContext });
    reply.raw.once('close', () => {
      const route = request.routeOptions.url;
      const status = reply.raw.statusCode;
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!reply.raw.writableFinished) span.setAttribute('keel.response.aborted', true);
      span.end();
    });
    context.with(spanContext, done);
  });
  // The body is read between onRequest and preHandler, outside the request's async context:
  // enter the span's context again so the handler runs inside it.
  app.addHook('preHandler', (request, _reply, done) => {
    const entry = active.get(request);
    if (entry) context.with(entry.context, done);
    else done();
  });
}
