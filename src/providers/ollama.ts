/**
 * Ollama's native API: `/api/chat` (newline-delimited JSON when streaming) and `/api/embed`.
 * Ollama reports token counts as `prompt_eval_count` and `eval_count` on its final message.
 */
import { z } from 'zod';
import { UpstreamError } from '../errors.js';
import { joinUrl, parseJsonReply, usageFrom } from './http-reply.js';
import { type JsonPost, bearerHeader, RemoteChatProvider } from './http.js';
import type { ChatRequest, ChatResult, ChatStreamEvent } from './provider.js';
import { RemoteEmbeddingProvider } from './remote-embeddings.js';

/** A non-streamed `/api/chat` reply (also the last line of a stream); vision replies too. */
export const chatReplySchema = z.object({
  model: z.string().optional(),
  message: z.object({ content: z.string() }).optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
  prompt_eval_count: z.number().optional(),
  eval_count: z.number().optional(),
});

// A failure after streaming began arrives as a line of its own instead of an HTTP status.
const streamLineSchema = z.union([z.object({ error: z.string() }), chatReplySchema]);

const embedReplySchema = z.object({ embeddings: z.array(z.array(z.number())) });

type ChatReply = z.infer<typeof chatReplySchema>;

export class OllamaChatProvider extends RemoteChatProvider {
  async chat(request: ChatRequest): Promise<ChatResult> {
    const reply = await this.http.postJson(this.chatPost(request, false), chatReplySchema);
    if (!reply.done) throw this.http.badResponse('the reply is marked unfinished');
    return this.result(request, reply.message?.content ?? '', reply);
  }

  async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const lines = await this.http.postStream(this.chatPost(request, true));
    let text = '';
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const chunk = parseJsonReply(this.name, streamLineSchema, line);
      if ('error' in chunk) {
        throw new UpstreamError('provider_unavailable', `${this.name} failed: ${chunk.error}`, {
          provider: this.name,
        });
      }
      const delta = chunk.message?.content;
      if (delta) {
        text += delta;
        yield { type: 'delta', text: delta };
      }
      if (chunk.done) {
        yield { type: 'done', result: this.result(request, text, chunk) };
        return;
      }
    }
    throw this.http.badResponse('the stream ended before its final "done" line');
  }

  private result(request: ChatRequest, text: string, reply: ChatReply): ChatResult {
    return {
      text,
      usage: usageFrom(request, text, {
        input: reply.prompt_eval_count,
        output: reply.eval_count,
      }),
      provider: this.name,
      model: reply.model ?? this.model,
      finishReason:
        reply.done_reason === 'length' ? 'length' : reply.done_reason === 'stop' ? 'stop' : 'other',
    };
  }

  private chatPost(request: ChatRequest, stream: boolean): JsonPost {
    return {
      url: joinUrl(this.options.baseUrl, 'api/chat'),
      headers: bearerHeader(this.options.apiKey),
      body: {
        model: this.model,
        messages: request.messages,
        stream,
        options: { temperature: request.temperature, num_predict: request.maxOutputTokens },
      },
      signal: request.signal,
    };
  }
}

export class OllamaEmbeddingProvider extends RemoteEmbeddingProvider {
  protected async requestVectors(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const reply = await this.http.postJson(
      {
        url: joinUrl(this.options.baseUrl, 'api/embed'),
        headers: bearerHeader(this.options.apiKey),
        body: { model: this.model, input: texts },
        signal,
      },
      embedReplySchema,
    );
    return reply.embeddings;
  }
}
