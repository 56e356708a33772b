import Fastify from 'fastify';
import { z } from 'zod';
import { isKeelError } from '../errors.js';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { type GovernedAnswer, governedAnswerSchema } from '../governor/answer-schema.js';
import type { Governor } from '../governor/governor.js';
import type { Store } from '../store/store.js';
import type { Metrics } from '../telemetry/metrics.js';
import { requestIdOf, traceRequests } from '../telemetry/http-tracing.js';
import { SIGNATURE_HEADER, verifyRequest } from './signing.js';
import { type CallOutcome, IdempotentCalls } from './idempotent-calls.js';
import { MemoryIdempotencyStore } from './idempotency-memory.js';
import { RedisIdempotencyStore } from './idempotency-redis.js';

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
  /** One per logical call, the same on every retry: the call runs once (see idempotent-calls.ts). */
  idempotencyKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/)
    .optional(),
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

/**
 * A governed answer as the outcome a retry may be given: the answer, or the error it ended with.
 * A call its caller abandoned (`signal` aborted) throws instead, so it is not remembered.
 */
async function asOutcome(answer: Promise<GovernedAnswer>, signal?: AbortSignal) {
  try {
    return { status: 200, body: await answer };
  } catch (error) {
    if (signal?.aborted) throw error;
    return errorJson(error);
  }
}

/**
 * The stream events that end a call: `done` or `error`. A replayed call (a retry of one that ran
 * already) sends its whole answer first, as the first call streamed it: the text in one delta, or
 * the refusal.
 */
function streamEvents(outcome: CallOutcome, replayed: boolean): unknown[] {
  if (outcome.status !== 200) return [{ type: 'error', ...outcome }];
  const answer = governedAnswerSchema.parse(outcome.body);
  const replay = !replayed
    ? []
    : answer.decision.status === 'refused'
      ? [{ type: 'refusal', decision: answer.decision }]
      : [{ type: 'delta', text: answer.answer }];
  return [...replay, { type: 'done', answer }];
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
  /** Where retries find the first call's outcome, shared by replicas; memory without it. */
  redis: Redis | undefined;
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
  const calls = new IdempotentCalls(
    keel.redis ? new RedisIdempotencyStore(keel.redis) : new MemoryIdempotencyStore(),
  );
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
    if (!body.stream) {
      const { outcome } = await calls.run(body.idempotencyKey, () =>
        asOutcome(keel.governor.answer(body.request, options)),
      );
      return reply.status(outcome.status).send(outcome.body);
    }
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    // Headers now, not with the first event: the API's idle limit then counts silence in the stream.
    reply.raw.flushHeaders();
    const send = (event: unknown) => reply.raw.write(`data: ${JSON.stringify(event)}\n\n`);
    try {
      const { outcome, replayed } = await calls.run(
        body.idempotencyKey,
        () =>
          asOutcome(
            keel.governor.answer(body.request, {
              ...options,
              signal: abort.signal,
              onDelta: (text) => send({ type: 'delta', text }),
              onRefusal: (decision) => send({ type: 'refusal', decision }),
            }),
            abort.signal,
          ),
        abort.signal,
      );
      for (const event of streamEvents(outcome, replayed)) send(event);
    } catch (error) {
      send({ type: 'error', ...errorJson(error) });
    }
    reply.raw.end();
  });

  await app.ready();
  return app;
}
