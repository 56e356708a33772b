import Fastify from 'fastify';
import { z } from 'zod';
import { isKeelError } from '../errors.js';
import type { Logger } from 'pino';
import type { Governor } from '../governor/governor.js';
import type { Store } from '../store/store.js';
import type { Metrics } from '../telemetry/metrics.js';
import { requestIdOf, traceRequests } from '../telemetry/http-tracing.js';
import { SIGNATURE_HEADER, verifyRequest } from './signing.js';

const answerBody = z.object({
  request: z.object({
    message: z.string(),
    agent: z.string().optional(),
    k: z.number().int().min(1).max(50).optional(),
    maxOutputTokens: z.number().int().min(1).max(1_000_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
  }),
  traceId: z.string().min(1).max(128),
  workspaceId: z.string().min(1).max(64),
  actor: z.string().min(1).max(400).optional(),
  userId: z.string().min(1).max(200).optional(),
  stream: z.boolean().default(false),
});
const checkBody = z.object({ text: z.string() });

function errorJson(error: unknown) {
  if (error instanceof z.ZodError) {
    return {
      status: 400,
      body: { error: { code: 'invalid_request', message: error.message, details: {} } },
    };
  }
  if (isKeelError(error))
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message, details: error.details } },
    };
  return {
    status: 500,
    body: {
      error: {
        code: 'internal_error',
        message: 'The orchestrator hit an internal error',
        details: {},
      },
    },
  };
}

/** What the orchestrator's server uses of a Keel: the governor it runs and the store it probes. */
export interface OrchestratorServices {
  logger: Logger;
  config: { server: { maxBodyBytes: number } };
  store: Pick<Store, 'ping'>;
  /** Rejects while the chat provider is unreachable (readiness). */
  providerReady: () => Promise<void>;
  /** The process's Prometheus registry, served at `/metrics`, and its HTTP request metrics. */
  metrics: Pick<Metrics, 'registry' | 'httpRequests' | 'httpDuration'>;
  governor: Pick<Governor, 'check' | 'answer'>;
}

/**
 * The orchestrator's own HTTP server: internal only, every call signed with KEEL_INTERNAL_SECRET
 * (see signing.ts). It runs the governor for the API processes, which never need to hold model
 * keys or policies themselves.
 *
 * @example
 *   const app = await buildOrchestratorApp(keel, secret);
 *   await app.listen({ host: '0.0.0.0', port: 8081 });
 */
export async function buildOrchestratorApp(keel: OrchestratorServices, secret: string) {
  const app = Fastify({
    loggerInstance: keel.logger,
    bodyLimit: keel.config.server.maxBodyBytes * 2,
    return503OnClosing: true,
    // The API's request id, so both processes' log lines of one call carry the same id.
    genReqId: requestIdOf,
  });
  traceRequests(app);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as unknown as { rawBody: string }).rawBody = body as string;
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
  app.addHook('preHandler', async (request) => {
    if (!request.url.startsWith('/internal/')) return;
    const rawBody = (request as unknown as { rawBody?: string }).rawBody ?? '';
    verifyRequest(secret, request.headers[SIGNATURE_HEADER] as string | undefined, {
      method: request.method,
      path: request.url,
      body: rawBody,
    });
  });
  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = errorJson(error);
    const fastifyStatus = (error as { statusCode?: number }).statusCode;
    void reply
      .status(
        isKeelError(error) || error instanceof z.ZodError ? status : (fastifyStatus ?? status),
      )
      .send(body);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    keel.metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    keel.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    try {
      await keel.store.ping();
      await keel.providerReady();
      return { status: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable' });
    }
  });

  // Prometheus scrapes it over the internal network, which only reaches this port (no signature:
  // counters and timings carry no user data).
  app.get('/metrics', async (_request, reply) =>
    reply.type(keel.metrics.registry.contentType).send(await keel.metrics.registry.metrics()),
  );

  app.post('/internal/v1/check', async (request) =>
    keel.governor.check(checkBody.parse(request.body).text),
  );

  app.post('/internal/v1/answer', async (request, reply) => {
    const body = answerBody.parse(request.body);
    const options = {
      traceId: body.traceId,
      workspaceId: body.workspaceId,
      ...(body.actor && { actor: body.actor }),
      ...(body.userId && { userId: body.userId }),
    };
    if (!body.stream) return keel.governor.answer(body.request, options);
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    const send = (event: unknown) => reply.raw.write(`data: ${JSON.stringify(event)}\n\n`);
    try {
      const answer = await keel.governor.answer(body.request, {
        ...options,
        signal: abort.signal,
        onDelta: (text) => send({ type: 'delta', text }),
        onRefusal: (decision) => send({ type: 'refusal', decision }),
      });
      send({ type: 'done', answer });
    } catch (error) {
      send({ type: 'error', ...errorJson(error) });
    }
    reply.raw.end();
  });

  await app.ready();
  return app;
}
