import { z } from 'zod';
import { KeelError } from '../errors.js';
import type { AnswerOptions, Answerer } from '../governor/answerer.js';
import {
  type GovernedAnswer,
  type InputCheck,
  decisionSchema,
  governedAnswerSchema,
  inputCheckSchema,
} from '../governor/answer-schema.js';
import type { ChatRequestInput } from '../governor/governor.js';
import { type HttpReply, httpPost } from '../net/http-post.js';
import { serverSentEvents } from '../net/server-sent-events.js';
import { Deadline } from '../providers/http-timing.js';
import { traceCarrier } from '../telemetry/tracing.js';
import { SIGNATURE_HEADER, signRequest } from './signing.js';

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});
const streamEventSchema = z.union([
  z.object({ type: z.literal('delta'), text: z.string() }),
  z.object({ type: z.literal('refusal'), decision: decisionSchema }),
  z.object({ type: z.literal('done'), answer: z.unknown() }),
  z.object({ type: z.literal('error'), status: z.number(), body: errorSchema }),
]);

/**
 * Connection-level failures worth one more try. The call may have reached the orchestrator before
 * the connection failed; answers carry an idempotency key, so a retry never runs it twice.
 */
const RETRY_DELAYS_MS = [100, 400];

function unavailable(reason: string): KeelError {
  return new KeelError(
    'orchestrator_unavailable',
    `The orchestrator cannot be reached (${reason}); try again shortly`,
    503,
    {},
    true,
  );
}

/**
 * A reply that breaks the contract (an API and an orchestrator of different versions): a 502
 * naming what was wrong, never a value cast to a type it does not have.
 */
function invalidReply(what: string, issues: { path: string; message: string }[]): KeelError {
  const named = issues.map((issue) => `${issue.path || '(body)'}: ${issue.message}`);
  return new KeelError(
    'orchestrator_reply_invalid',
    `The orchestrator's ${what} does not match the contract (${named.slice(0, 3).join('; ')}); are the API and the orchestrator the same version?`,
    502,
    { issues },
  );
}

/** What the orchestrator sent, checked against the contract's schema. */
function parseReply<T>(schema: z.ZodType<T>, reply: unknown, what: string): T {
  const parsed = schema.safeParse(reply);
  if (parsed.success) return parsed.data;
  throw invalidReply(
    what,
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}

/** Why a call failed on the wire: the error's code (`ECONNREFUSED`) or the message. */
const wireFailure = (error: unknown) => {
  const failure = error as { code?: string; cause?: { code?: string }; message: string };
  return failure.code ?? failure.cause?.code ?? failure.message;
};

/**
 * The stream's text as it arrives. The deadline is an idle limit: each chunk that arrives extends
 * it, so a long answer streams as long as it stays live, and a silent one ends as
 * `orchestrator_unavailable`.
 */
async function* chunks(
  reply: HttpReply,
  deadline: Deadline,
  limits: { timeoutMs: number; signal?: AbortSignal },
): AsyncGenerator<string> {
  deadline.extend();
  try {
    for await (const chunk of reply.chunks()) {
      deadline.extend();
      yield chunk;
    }
  } catch (error) {
    if (limits.signal?.aborted) throw error;
    throw (error as Error).name === 'TimeoutError'
      ? unavailable(`the answer stream fell silent for ${limits.timeoutMs} ms`)
      : unavailable(wireFailure(error));
  } finally {
    deadline.clear();
    reply.discard();
  }
}

/**
 * The API's side of api → orchestrator: signed calls with a timeout (for a streamed answer, an
 * idle limit: no bytes for `timeoutMs`), a retry when the connection failed (an answer still runs
 * once, by its idempotency key), and a clear 503 `orchestrator_unavailable` instead of a hang when
 * it stays down. Errors the orchestrator answers (a refused input, a provider failure) come back
 * as the same KeelError they were there.
 *
 * @example
 *   const answers = new OrchestratorClient({ url: 'http://orchestrator:8081', secret, timeoutMs: 95_000 });
 *   const answer = await answers.answer({ message: 'How do I roll back a policy?' }, { workspaceId: 'default' });
 */
export class OrchestratorClient implements Answerer {
  constructor(private readonly options: { url: string; secret: string; timeoutMs: number }) {}

  /**
   * POSTs a signed call; the response comes with its deadline, running from the start of the
   * attempt: `timeoutMs` for the whole call unless the reader extends it (streams).
   */
  private async post(
    path: string,
    payload: unknown,
    options: { traceId?: string; signal?: AbortSignal },
  ): Promise<{ response: HttpReply; deadline: Deadline }> {
    const body = JSON.stringify(payload);
    const url = new URL(path, this.options.url);
    for (let attempt = 0; ; attempt += 1) {
      const deadline = new Deadline(this.options.timeoutMs, options.signal);
      try {
        const response = await httpPost(url.href, {
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signRequest(this.options.secret, {
              method: 'POST',
              path: url.pathname,
              body,
            }),
            ...(options.traceId && { 'x-request-id': options.traceId }),
            // W3C trace context: the orchestrator's spans join this request's trace.
            ...traceCarrier(),
          },
          body,
          signal: deadline.signal,
        });
        return { response, deadline };
      } catch (error) {
        deadline.clear();
        if (options.signal?.aborted) throw error;
        const name = (error as Error).name;
        if (name === 'TimeoutError')
          throw unavailable(`no answer within ${this.options.timeoutMs} ms`);
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw unavailable(wireFailure(error));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** A whole (not streamed) reply, read within the call's deadline and checked against `schema`. */
  private async reply<T>(
    response: HttpReply,
    deadline: Deadline,
    schema: z.ZodType<T>,
    what: string,
  ): Promise<T> {
    let body: unknown;
    try {
      body = JSON.parse(await response.text());
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw unavailable(`no answer within ${this.options.timeoutMs} ms`);
      if (error instanceof SyntaxError)
        throw invalidReply(what, [{ path: '', message: 'not JSON' }]);
      throw error;
    } finally {
      deadline.clear();
    }
    return parseReply(schema, body, what);
  }

  private async failure(response: HttpReply): Promise<KeelError> {
    if (response.status === 503 && !response.header('content-type')?.includes('json')) {
      response.discard();
      return unavailable('HTTP 503');
    }
    const parsed = errorSchema.safeParse(
      await response
        .text()
        .then((text) => JSON.parse(text) as unknown)
        .catch(() => undefined),
    );
    if (!parsed.success) return unavailable(`HTTP ${response.status} without an error body`);
    const { code, message, details } = parsed.data.error;
    // The orchestrator refusing our signature is a deployment fault, never the caller's.
    if (code.startsWith('signature_')) {
      return new KeelError(
        'orchestrator_misconfigured',
        'The orchestrator refused this API process (check KEEL_INTERNAL_SECRET and clocks)',
        502,
      );
    }
    return new KeelError(code, message, response.status, details, response.status >= 500);
  }

  /** Resolves when the orchestrator answers its readiness probe within 2 s; throws otherwise. */
  async ready(): Promise<void> {
    const response = await fetch(new URL('/health/ready', this.options.url), {
      signal: AbortSignal.timeout(2_000),
    }).catch((error: Error) => {
      throw unavailable(wireFailure(error));
    });
    await response.body?.cancel();
    if (!response.ok) throw unavailable(`HTTP ${response.status} from its readiness probe`);
  }

  async check(text: string): Promise<InputCheck> {
    const { response, deadline } = await this.post('/internal/v1/check', { text }, {});
    if (!response.ok) throw await this.failure(response).finally(() => deadline.clear());
    return this.reply(response, deadline, inputCheckSchema, 'input check');
  }

  async answer(request: ChatRequestInput, options: AnswerOptions = {}): Promise<GovernedAnswer> {
    const payload = {
      request,
      traceId: options.traceId ?? crypto.randomUUID(),
      workspaceId: options.workspaceId ?? 'default',
      ...(options.actor && { actor: options.actor }),
      ...(options.userId && { userId: options.userId }),
      stream: Boolean(options.onDelta),
      // The same on every retry of this call: the orchestrator runs it once (a retry after a lost
      // answer gets the first call's outcome instead of reaching the model again).
      idempotencyKey: crypto.randomUUID(),
    };
    const { response, deadline } = await this.post('/internal/v1/answer', payload, {
      traceId: payload.traceId,
      ...(options.signal && { signal: options.signal }),
    });
    if (!response.ok) throw await this.failure(response).finally(() => deadline.clear());
    if (!options.onDelta) return this.reply(response, deadline, governedAnswerSchema, 'answer');
    const text = chunks(response, deadline, {
      timeoutMs: this.options.timeoutMs,
      ...(options.signal && { signal: options.signal }),
    });
    for await (const { data } of serverSentEvents(text)) {
      let event: z.infer<typeof streamEventSchema>;
      try {
        event = streamEventSchema.parse(JSON.parse(data));
      } catch {
        throw unavailable('a garbled answer stream');
      }
      if (event.type === 'delta') options.onDelta(event.text);
      else if (event.type === 'refusal') options.onRefusal?.(event.decision);
      else if (event.type === 'done')
        return parseReply(governedAnswerSchema, event.answer, 'answer');
      else
        throw new KeelError(
          event.body.error.code,
          event.body.error.message,
          event.status,
          event.body.error.details,
          event.status >= 500,
        );
    }
    throw unavailable('the stream ended without an answer');
  }
}
