/**
 * Chat over Gemini's `generateContent` and `streamGenerateContent?alt=sse`: system messages
 * become the system instruction, the other turns `user`/`model` contents.
 */
import { UpstreamError } from '../../errors.js';
import { parseJsonReply, serverSentData, usageFrom } from '../http-reply.js';
import { type JsonPost, RemoteChatProvider } from '../http.js';
import type { ChatRequest, ChatResult, ChatStreamEvent } from '../provider.js';
import { authHeaders, endpoint, generationConfig } from './options.js';
import { type GeminiResponse, type GenerateRequest, responseSchema } from './wire.js';

/** Visible answer text of a response; "thought" parts of thinking models are not the answer. */
export function answerText(response: GeminiResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((part) => !part.thought)
    .map((part) => part.text ?? '')
    .join('');
}

function finishReason(reason: string | undefined): ChatResult['finishReason'] {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  return 'other';
}

/** Gemini answers a blocked prompt with feedback instead of candidates: a refusal. */
export function refuseIfBlocked(provider: string, response: GeminiResponse): void {
  const blockReason = response.promptFeedback?.blockReason;
  if (!blockReason) return;
  throw new UpstreamError(
    'provider_rejected',
    `${provider} refused the prompt (${blockReason})`,
    { provider, blockReason },
    false,
  );
}

export class GeminiChatProvider extends RemoteChatProvider {
  async chat(request: ChatRequest): Promise<ChatResult> {
    const reply = await this.http.postJson(
      this.generatePost(request, 'generateContent'),
      responseSchema,
    );
    refuseIfBlocked(this.name, reply);
    const candidate = reply.candidates?.[0];
    if (!candidate) throw this.http.badResponse('the reply has no candidate');
    return this.result(request, answerText(reply), reply, candidate.finishReason);
  }

  async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const lines = await this.http.postStream(
      this.generatePost(request, 'streamGenerateContent?alt=sse'),
    );
    let text = '';
    let last: GeminiResponse | undefined;
    let reason: string | undefined;
    for await (const data of serverSentData(lines)) {
      const chunk = parseJsonReply(this.name, responseSchema, data);
      refuseIfBlocked(this.name, chunk);
      const delta = answerText(chunk);
      if (delta) {
        text += delta;
        yield { type: 'delta', text: delta };
      }
      last = chunk;
      reason = chunk.candidates?.[0]?.finishReason ?? reason;
    }
    // Gemini marks its last chunk with a finish reason; a stream without one was cut off.
    if (!last || reason === undefined) {
      throw this.http.badResponse('the stream ended without a finish reason');
    }
    yield { type: 'done', result: this.result(request, text, last, reason) };
  }

  private result(
    request: ChatRequest,
    text: string,
    response: GeminiResponse,
    reason: string | undefined,
  ): ChatResult {
    return {
      text,
      usage: usageFrom(request, text, {
        input: response.usageMetadata?.promptTokenCount,
        output: response.usageMetadata?.candidatesTokenCount,
      }),
      provider: this.name,
      model: response.modelVersion ?? this.model,
      finishReason: finishReason(reason),
    };
  }

  private generatePost(request: ChatRequest, method: string): JsonPost {
    const system = request.messages.filter((message) => message.role === 'system');
    const turns = request.messages.filter((message) => message.role !== 'system');
    const body: GenerateRequest = {
      contents: turns.map((message) => ({
        role: message.role === 'assistant' ? 'model' : 'user',
        parts: [{ text: message.content }],
      })),
      ...(system.length > 0
        ? { systemInstruction: { parts: system.map((message) => ({ text: message.content })) } }
        : {}),
      generationConfig: generationConfig(request),
    };
    return {
      url: endpoint(this.options.baseUrl, this.model, method),
      headers: authHeaders(this.options.apiKey),
      body,
      signal: request.signal,
    };
  }
}
