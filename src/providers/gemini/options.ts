/**
 * Keel's settings in Gemini's terms: the model's resource path, the key, the generation config.
 * The key travels in the `x-goog-api-key` header, never in the URL, so it cannot leak through
 * logged URLs or error messages that quote them.
 */
import { joinUrl } from '../http-reply.js';
import type { ChatParams } from '../provider.js';
import type { GenerateRequest } from './wire.js';

/** The model's resource name; ids are accepted with or without the `models/` prefix. */
export function modelName(model: string): string {
  return `models/${model.replace(/^models\//, '')}`;
}

/** `{baseUrl}/models/{model}:{method}`, e.g. `generateContent` or `streamGenerateContent?alt=sse`. */
export function endpoint(baseUrl: string, model: string, method: string): string {
  const id = encodeURIComponent(model.replace(/^models\//, ''));
  return joinUrl(baseUrl, `models/${id}:${method}`);
}

export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return { 'x-goog-api-key': apiKey ?? '' };
}

/** Temperature and output cap as Gemini's `generationConfig`. */
export function generationConfig(params: ChatParams): GenerateRequest['generationConfig'] {
  return { temperature: params.temperature, maxOutputTokens: params.maxOutputTokens };
}
