import { request } from '../api/client';
import { ApiError } from '../api/errors';
import {
  type Answer,
  answerSchema,
  deltaSchema,
  errorBodySchema,
  metaSchema,
} from '../api/schemas';
import { readSse } from '../api/sse';

export interface ChatRequest {
  message: string;
  agent?: string | undefined;
  conversationId?: string | undefined;
}

export interface StreamHandlers {
  onMeta?(meta: { traceId?: string | undefined; conversationId?: string | undefined }): void;
  onDelta(text: string): void;
  /** The output policy refused the answer mid-stream: drop the text shown so far. */
  onRefusal?(): void;
}

/**
 * `POST /v1/chat` with `stream: true`: calls `onDelta` per streamed piece and resolves with the
 * final answer (`done`). A refusal before streaming is an ApiError (422, details.decision); an
 * `error` event mid-stream becomes one too.
 */
export async function streamChat(
  input: ChatRequest,
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<Answer> {
  const body: Record<string, unknown> = { message: input.message, stream: true };
  if (input.agent) body.agent = input.agent;
  if (input.conversationId) body.conversationId = input.conversationId;
  const response = await request('/v1/chat', {
    method: 'POST',
    body,
    signal,
    accept: 'text/event-stream',
  });
  if (!response.headers.get('content-type')?.includes('text/event-stream'))
    return answerSchema.parse(await response.json());
  for await (const message of readSse(response)) {
    const data: unknown = JSON.parse(message.data);
    if (message.event === 'meta') handlers.onMeta?.(metaSchema.parse(data));
    else if (message.event === 'delta') handlers.onDelta(deltaSchema.parse(data).text);
    else if (message.event === 'refusal') handlers.onRefusal?.();
    else if (message.event === 'done') return answerSchema.parse(data);
    else if (message.event === 'error') {
      const parsed = errorBodySchema.safeParse(data);
      if (parsed.success) {
        const { code, message: text, details } = parsed.data.error;
        throw new ApiError(502, code, text, details ?? {});
      }
      throw new ApiError(502, 'stream_failed', 'The answer stream failed');
    }
  }
  throw new ApiError(502, 'stream_ended', 'The answer stream ended before the answer was complete');
}
