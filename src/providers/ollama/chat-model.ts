/**
 * Chat over Ollama's native `/api/chat`, newline-delimited JSON when streaming. Ollama reports
 * token counts as `prompt_eval_count` and `eval_count` on its final message.
 */
import { UpstreamError } from '../../errors.js';
import { parseJsonReply, usageFrom } from '../http-reply.js';
import { type JsonPost, RemoteChatProvider } from '../http.js';
import type { ChatRequest, ChatResult, ChatStreamEvent } from '../provider.js';
import { authHeaders, endpoint, modelOptions } from './options.js';
import { type ChatReply, type ChatRequestBody, chatReplySchema, streamLineSchema } from './wire.js';

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
    const body: ChatRequestBody = {
      model: this.model,
      messages: request.messages,
      stream,
      options: modelOptions(request),
    };
    return {
      url: endpoint(this.options.baseUrl, 'api/chat'),
      headers: authHeaders(this.options.apiKey),
      body,
      signal: request.signal,
    };
  }
}
