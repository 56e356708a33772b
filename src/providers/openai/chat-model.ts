/**
 * Chat over the OpenAI chat-completions protocol, which OpenAI, Groq, vLLM and LM Studio all
 * speak; the instance's `name` says which one it is talking to.
 */
import type { z } from 'zod';
import { parseJsonReply, serverSentData, usageFrom } from '../http-reply.js';
import { type JsonPost, RemoteChatProvider } from '../http.js';
import type { ChatRequest, ChatResult, ChatStreamEvent } from '../provider.js';
import { authHeaders, completionParams, endpoint, streamParams } from './options.js';
import {
  type CompletionRequest,
  STREAM_END,
  chunkSchema,
  completionSchema,
  type usageSchema,
} from './wire.js';

function finishReason(reason: string | null | undefined): ChatResult['finishReason'] {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  return 'other';
}

export class OpenAiChatProvider extends RemoteChatProvider {
  async chat(request: ChatRequest): Promise<ChatResult> {
    const reply = await this.http.postJson(this.completionPost(request, false), completionSchema);
    const [choice] = reply.choices;
    const text = choice?.message.content ?? '';
    return {
      text,
      usage: usageFrom(request, text, {
        input: reply.usage?.prompt_tokens,
        output: reply.usage?.completion_tokens,
      }),
      provider: this.name,
      model: reply.model ?? this.model,
      finishReason: finishReason(choice?.finish_reason),
    };
  }

  async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const lines = await this.http.postStream(this.completionPost(request, true));
    let text = '';
    let model = this.model;
    let reason: string | null | undefined;
    let usage: z.infer<typeof usageSchema> | null | undefined;
    let sawEnd = false;
    for await (const data of serverSentData(lines)) {
      if (data.trim() === STREAM_END) {
        sawEnd = true;
        break;
      }
      const chunk = parseJsonReply(this.name, chunkSchema, data);
      model = chunk.model ?? model;
      usage = chunk.usage ?? usage;
      for (const choice of chunk.choices) {
        reason = choice.finish_reason ?? reason;
        const delta = choice.delta?.content;
        if (delta) {
          text += delta;
          yield { type: 'delta', text: delta };
        }
      }
    }
    // Without the terminator the answer may be cut short; saying so beats passing it on as whole.
    if (!sawEnd) throw this.http.badResponse('the stream ended without [DONE]');
    yield {
      type: 'done',
      result: {
        text,
        usage: usageFrom(request, text, {
          input: usage?.prompt_tokens,
          output: usage?.completion_tokens,
        }),
        provider: this.name,
        model,
        finishReason: finishReason(reason),
      },
    };
  }

  private completionPost(request: ChatRequest, stream: boolean): JsonPost {
    const body: CompletionRequest = {
      model: this.model,
      messages: request.messages,
      ...completionParams(request),
      ...streamParams(stream),
    };
    return {
      url: endpoint(this.options.baseUrl, 'chat/completions'),
      headers: authHeaders(this.options.apiKey),
      body,
      signal: request.signal,
    };
  }
}
