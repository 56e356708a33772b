import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { KeelError, isKeelError } from '../../errors.js';
import type { AnswerOptions } from '../../governor/answerer.js';
import type { GovernedAnswer } from '../../governor/governor.js';
import type { RealtimeAnnouncer } from '../../events/realtime.js';
import type { ConversationStore } from '../../store/conversation-store.js';
import { errorBody } from '../error-handler.js';
import { type GovernedCallServices, governedCall } from '../../limits/governed-call.js';
import { answerSchema, chatBodySchema, errorSchema } from '../schemas.js';
import { SseStream } from '../sse.js';
import { type ChatHistory, openChatHistory } from '../chat-history.js';
import type { CaptureMemories } from '../memory-capture.js';

export interface ChatRouteDeps extends GovernedCallServices {
  conversations: ConversationStore;
  /** Announces each appended message to the conversation's realtime topic. */
  realtime: RealtimeAnnouncer;
  captureMemories: CaptureMemories;
}

/** `POST /v1/chat`: one governed answer, as JSON or (with `stream: true`) as SSE. */
export const chatRoutes =
  (deps: ChatRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/chat',
      {
        config: { access: { role: 'user', scope: 'chat', rateLimit: 'chat' } },
        schema: {
          summary: 'Ask a question; the answer is governed and cited',
          description:
            'With "stream": true the response is text/event-stream with events `meta`, `delta` ({text}: only text that passed output validation, sentence by sentence), `refusal` ({decision}: the output policy refused; drop the streamed text), `done` (the answer object) and `error`.',
          tags: ['chat'],
          body: chatBodySchema,
          response: {
            200: answerSchema,
            400: errorSchema,
            404: errorSchema,
            413: errorSchema,
            422: errorSchema,
            502: errorSchema,
            504: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { stream, conversationId, ...question } = request.body;
        const traceId = String(request.id);
        const { principal } = request;
        const history = await openChatHistory(
          deps.conversations,
          principal,
          { ...question, conversationId },
          deps.realtime,
        );
        const governed = async (
          live: Pick<AnswerOptions, 'onDelta' | 'onRefusal' | 'signal'> = {},
        ) => {
          const answer = await remembered(
            history,
            governedCall(deps, principal, question, { traceId, ...live }),
          );
          if (answer.conversationId)
            await deps.captureMemories(principal, {
              answer,
              conversationId: answer.conversationId,
            });
          return answer;
        };
        if (!stream) return governed();
        const sse = new SseStream(reply);
        const abort = new AbortController();
        // The client went away: stop generating (and paying for) an answer nobody reads.
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) abort.abort();
        });
        try {
          const answer = await governed({
            signal: abort.signal,
            onDelta: (text) => {
              if (!sse.isOpen) sse.send('meta', { traceId });
              if (!abort.signal.aborted) sse.send('delta', { text });
            },
            // The output policy refused: the client drops what it showed; `done` follows.
            onRefusal: (decision) => {
              if (!sse.isOpen) sse.send('meta', { traceId });
              if (!abort.signal.aborted) sse.send('refusal', { decision });
            },
          });
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

/**
 * Appends the exchange to the caller's history: an answer gains its `conversationId`; a refused
 * question is kept with the refusal and its 422 names the conversation in `details`.
 */
async function remembered(
  history: ChatHistory | undefined,
  answer: Promise<GovernedAnswer>,
): Promise<GovernedAnswer & { conversationId?: string }> {
  if (!history) return answer;
  try {
    const result = await answer;
    return { ...result, conversationId: await history.record({ answer: result }) };
  } catch (error) {
    // By code, not class: from a remote orchestrator the refusal arrives as a plain KeelError.
    if (isKeelError(error) && error.code === 'input_refused') {
      const conversationId = await history.record({ refusal: error });
      throw new KeelError(error.code, error.message, error.status, {
        ...error.details,
        conversationId,
      });
    }
    throw error;
  }
}
