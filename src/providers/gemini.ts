/**
 * Google's Gemini API: `models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
 * `:batchEmbedContents`. The key travels in the `x-goog-api-key` header, never in the URL, so it
 * cannot leak through logged URLs or error messages that quote them.
 */
import { z } from 'zod';
import { UpstreamError } from '../errors.js';
import { joinUrl, parseJsonReply, serverSentData, usageFrom } from './http-reply.js';
import { type JsonPost, RemoteChatProvider } from './http.js';
import type { ChatRequest, ChatResult, ChatStreamEvent } from './provider.js';
import { RemoteEmbeddingProvider } from './remote-embeddings.js';

/** A `generateContent` reply (and each chunk of a streamed one); vision replies too. */
export const responseSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z
          .object({
            parts: z.array(
              z.object({ text: z.string().optional(), thought: z.boolean().optional() }),
            ),
          })
          .optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  usageMetadata: z
    .object({
      promptTokenCount: z.number().optional(),
      candidatesTokenCount: z.number().optional(),
    })
    .optional(),
  modelVersion: z.string().optional(),
  promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
});

const batchEmbedSchema = z.object({
  embeddings: z.array(z.object({ values: z.array(z.number()) })),
});

// The API refuses larger batches; bigger inputs are sent as several calls.
const EMBED_BATCH_LIMIT = 100;

type GeminiResponse = z.infer<typeof responseSchema>;

/** Model ids are accepted with or without the `models/` prefix the API uses in resource names. */
export function modelPath(model: string, method: string): string {
  return `models/${encodeURIComponent(model.replace(/^models\//, ''))}:${method}`;
}

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
    const contents = turns.map((message) => ({
      role: message.role === 'assistant' ? 'model' : 'user',
      parts: [{ text: message.content }],
    }));
    return {
      url: joinUrl(this.options.baseUrl, modelPath(this.model, method)),
      headers: { 'x-goog-api-key': this.options.apiKey ?? '' },
      body: {
        contents,
        ...(system.length > 0
          ? { systemInstruction: { parts: system.map((message) => ({ text: message.content })) } }
          : {}),
        generationConfig: {
          temperature: request.temperature,
          maxOutputTokens: request.maxOutputTokens,
        },
      },
      signal: request.signal,
    };
  }
}

export class GeminiEmbeddingProvider extends RemoteEmbeddingProvider {
  protected async requestVectors(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += EMBED_BATCH_LIMIT) {
      const batch = texts.slice(start, start + EMBED_BATCH_LIMIT);
      const reply = await this.http.postJson(
        {
          url: joinUrl(this.options.baseUrl, modelPath(this.model, 'batchEmbedContents')),
          headers: { 'x-goog-api-key': this.options.apiKey ?? '' },
          body: {
            requests: batch.map((text) => ({
              model: `models/${this.model.replace(/^models\//, '')}`,
              content: { parts: [{ text }] },
            })),
          },
          signal,
        },
        batchEmbedSchema,
      );
      vectors.push(...reply.embeddings.map((embedding) => embedding.values));
    }
    return vectors;
  }
}
