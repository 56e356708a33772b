/**
 * The OpenAI chat-completions protocol, which OpenAI, Groq, vLLM and LM Studio all speak; the
 * instance's `name` says which one it is talking to.
 */
import { z } from 'zod';
import { joinUrl, parseJsonReply, serverSentData, usageFrom } from './http-reply.js';
import { type JsonPost, bearerHeader, RemoteChatProvider } from './http.js';
import type { ChatRequest, ChatResult, ChatStreamEvent } from './provider.js';
import { RemoteEmbeddingProvider } from './remote-embeddings.js';

const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() });

/** A non-streamed chat completion; vision replies come in the same shape. */
export const completionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

const chunkSchema = z.object({
  model: z.string().optional(),
  choices: z.array(
    z.object({
      delta: z.object({ content: z.string().nullish() }).nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
});

const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int(), embedding: z.array(z.number()) })),
});

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
    let sawDone = false;
    for await (const data of serverSentData(lines)) {
      if (data.trim() === '[DONE]') {
        sawDone = true;
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
    if (!sawDone) throw this.http.badResponse('the stream ended without [DONE]');
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
    return {
      url: joinUrl(this.options.baseUrl, 'chat/completions'),
      headers: bearerHeader(this.options.apiKey),
      body: {
        model: this.model,
        messages: request.messages,
        temperature: request.temperature,
        // `max_tokens` rather than `max_completion_tokens`: every compatible server accepts it.
        max_tokens: request.maxOutputTokens,
        stream,
        // Usage arrives in a last chunk with no choices only when asked for.
        ...(stream ? { stream_options: { include_usage: true } } : {}),
      },
      signal: request.signal,
    };
  }
}

export class OpenAiEmbeddingProvider extends RemoteEmbeddingProvider {
  protected async requestVectors(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const reply = await this.http.postJson(
      {
        url: joinUrl(this.options.baseUrl, 'embeddings'),
        headers: bearerHeader(this.options.apiKey),
        body: { model: this.model, input: texts, encoding_format: 'float' },
        signal,
      },
      embeddingsSchema,
    );
    // The protocol tags each vector with its input's index rather than promising order.
    return [...reply.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
  }
}
