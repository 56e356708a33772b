import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isKeelError } from '../../errors.js';
import type { Keel } from '../../keel.js';
import { errorBody } from '../error-handler.js';
import { answerSchema, chatBodySchema, errorSchema } from '../schemas.js';
import { SseStream } from '../sse.js';

/** `POST /v1/chat`: one governed answer, as JSON or (with `stream: true`) as SSE. */
export const chatRoutes =
  (keel: Keel): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/chat',
      {
        schema: {
          summary: 'Ask a question; the answer is governed and cited',
          description:
            'With "stream": true the response is text/event-stream with events `meta`, `delta` ({text}), `done` (the answer object) and `error`.',
          tags: ['chat'],
          body: chatBodySchema,
          response: {
            200: answerSchema,
            400: errorSchema,
            413: errorSchema,
            422: errorSchema,
            502: errorSchema,
            504: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { stream, ...question } = request.body;
        const traceId = String(request.id);
        if (!stream) {
          const answer = await countDecision(keel, keel.governor.answer(question, { traceId }));
          return answer;
        }
        const sse = new SseStream(reply);
        const abort = new AbortController();
        // The client went away: stop generating (and paying for) an answer nobody reads.
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) abort.abort();
        });
        try {
          const answer = await countDecision(
            keel,
            keel.governor.answer(question, {
              traceId,
              signal: abort.signal,
              onDelta: (text) => {
                if (!sse.isOpen) sse.send('meta', { traceId });
                if (!abort.signal.aborted) sse.send('delta', { text });
              },
            }),
          );
          if (!sse.isOpen) sse.send('meta', { traceId });
          sse.send('done', answer);
          sse.end();
        } catch (error) {
          // Before the first event the error is still an ordinary JSON response.
          if (!sse.isOpen) throw error;
          const body = isKeelError(error)
            ? errorBody(error.code, error.message, error.details)
            : errorBody('internal_error', 'The answer stream failed', { requestId: traceId });
          request.log.warn({ code: body.error.code }, 'chat stream failed');
          sse.send('error', body);
          sse.end();
        }
        return reply;
      },
    );
  };

async function countDecision<T extends { decision: { status: string } }>(
  keel: Keel,
  answer: Promise<T>,
): Promise<T> {
  try {
    const result = await answer;
    keel.metrics.governorDecisions.inc({ status: result.decision.status });
    return result;
  } catch (error) {
    if (isKeelError(error) && error.code === 'input_refused')
      keel.metrics.governorDecisions.inc({ status: 'refused' });
    throw error;
  }
}
