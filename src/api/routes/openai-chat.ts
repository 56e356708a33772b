import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../auth/actor.js';
import { NotFoundError, ValidationError, isKeelError } from '../../errors.js';
import type { GovernedAnswer } from '../../governor/governor.js';
import type { PolicyService } from '../../governor/policy-service.js';
import { errorBody } from '../error-handler.js';
import { type GovernedCallServices, governedCall } from '../../limits/governed-call.js';
import { handleOpenAiError, openAiError } from '../openai/errors.js';
import {
  type CompletionBody,
  completionBodySchema,
  completionSchema,
  modelListSchema,
  openAiErrorSchema,
} from '../openai/schemas.js';
import { SseStream } from '../sse.js';

type Message = CompletionBody['messages'][number];

function textOf(message: Message): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

/**
 * The governed question of a chat: the last user message. The agent's versioned prompt stands in
 * for any system message, and earlier turns are not sent on, so nothing reaches the model that
 * the input policy has not checked.
 */
function questionOf(messages: Message[]): string {
  const last = messages.findLast((message) => message.role === 'user');
  const text = last ? textOf(last).trim() : '';
  if (!text) {
    throw new ValidationError('no_user_message', 'messages needs a user message with text', {
      issues: [{ path: 'body.messages', message: 'needs a user message with text' }],
    });
  }
  return text;
}

function extension(answer: GovernedAnswer) {
  return {
    citations: answer.citations,
    decision: answer.decision,
    policy: answer.policy,
    flags: answer.flags,
    knowledgeVersions: answer.knowledgeVersions,
    provider: answer.provider,
    model: answer.model,
    traceId: answer.traceId,
  };
}

function usageOf(answer: GovernedAnswer) {
  const { inputTokens, outputTokens } = answer.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

const errors = {
  400: openAiErrorSchema,
  401: openAiErrorSchema,
  403: openAiErrorSchema,
  404: openAiErrorSchema,
  413: openAiErrorSchema,
  422: openAiErrorSchema,
  429: openAiErrorSchema,
  502: openAiErrorSchema,
  503: openAiErrorSchema,
  504: openAiErrorSchema,
};

export interface OpenAiChatRouteDeps extends GovernedCallServices {
  /** The active policy's agents are the models. */
  policies: Pick<PolicyService, 'current'>;
}

/**
 * The OpenAI-compatible serving API: `POST /v1/chat/completions` and `GET /v1/models`, where each
 * model is a Keel agent. Every call is governed exactly as `POST /v1/chat` (input policy,
 * retrieval, output validation, quota, audit); citations travel in the `keel` field.
 */
export const openAiChatRoutes =
  (deps: OpenAiChatRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.setErrorHandler(handleOpenAiError);
    // Agents carry no creation time of their own; OpenAI's field wants one.
    const startedAt = Math.floor(Date.now() / 1000);

    app.get(
      '/v1/models',
      {
        config: { access: { role: 'user', scope: 'chat' } },
        schema: {
          operationId: 'listModels',
          summary: 'List the agents of the active policy as OpenAI models',
          tags: ['openai'],
          response: { 200: modelListSchema, 401: openAiErrorSchema, 403: openAiErrorSchema },
        },
      },
      async () => {
        const bundle = await deps.policies.current();
        return {
          object: 'list' as const,
          data: bundle.agents.map((agent) => ({
            id: agent.id,
            object: 'model' as const,
            created: startedAt,
            owned_by: `keel:${bundle.policy.id}`,
          })),
        };
      },
    );

    app.post(
      '/v1/chat/completions',
      {
        config: { access: { role: 'user', scope: 'chat', rateLimit: 'chat' } },
        schema: {
          operationId: 'createChatCompletion',
          summary: 'OpenAI-compatible chat completion, governed and cited',
          description:
            'The model is a Keel agent. With "stream": true the response is text/event-stream of `chat.completion.chunk` objects ending with `data: [DONE]`; the last chunk carries the `keel` field (citations, decision, policy).',
          tags: ['openai'],
          body: completionBodySchema,
          response: { 200: completionSchema, ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const { agents } = await deps.policies.current();
        if (!agents.some((agent) => agent.id === body.model)) {
          throw new NotFoundError('model_not_found', `No model (agent) "${body.model}"`, {
            model: body.model,
            available: agents.map((agent) => agent.id),
          });
        }
        const traceId = String(request.id);
        const maxOutputTokens = body.max_completion_tokens ?? body.max_tokens;
        const question = {
          message: questionOf(body.messages),
          agent: body.model,
          ...(maxOutputTokens != null && { maxOutputTokens }),
          ...(body.temperature != null && { temperature: body.temperature }),
        };
        const actor = `${actorOf(request.principal)}${body.user ? ` for ${body.user}` : ''}`;
        const id = `chatcmpl-${traceId}`;
        const created = Math.floor(Date.now() / 1000);
        if (!body.stream) {
          const answer = await governedCall(deps, request.principal, question, { traceId, actor });
          return {
            id,
            object: 'chat.completion' as const,
            created,
            model: body.model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant' as const, content: answer.answer, refusal: null },
                finish_reason: 'stop' as const,
                logprobs: null,
              },
            ],
            usage: usageOf(answer),
            keel: extension(answer),
          };
        }
        const sse = new SseStream(reply);
        const chunk = (delta: Record<string, string>, finish: 'stop' | null) => ({
          id,
          object: 'chat.completion.chunk',
          created,
          model: body.model,
          choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        });
        const open = () => {
          if (!sse.isOpen) sse.data(chunk({ role: 'assistant', content: '' }, null));
        };
        const abort = new AbortController();
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) abort.abort();
        });
        try {
          // The same governed stream `/v1/chat` relays: only text the governor releases.
          const answer = await governedCall(deps, request.principal, question, {
            traceId,
            actor,
            signal: abort.signal,
            onDelta: (text) => {
              open();
              if (!abort.signal.aborted) sse.data(chunk({ content: text }, null));
            },
          });
          open();
          sse.data({ ...chunk({}, 'stop'), keel: extension(answer) });
          if (body.stream_options?.include_usage)
            sse.data({ ...chunk({}, null), choices: [], usage: usageOf(answer) });
          sse.done();
        } catch (error) {
          if (!sse.isOpen) throw error;
          const status = isKeelError(error) ? error.status : 500;
          const failure = isKeelError(error)
            ? errorBody(error.code, error.message, error.details)
            : errorBody('internal_error', 'The answer stream failed', { requestId: traceId });
          request.log.warn({ code: failure.error.code }, 'completion stream failed');
          sse.data(openAiError(status, failure));
          sse.end();
        }
        return reply;
      },
    );
  };
