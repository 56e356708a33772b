/** Keel's settings in Ollama's terms: the endpoint, the optional key, the model options. */
import { joinUrl } from '../http-reply.js';
import { bearerHeader } from '../http.js';
import type { ChatParams } from '../provider.js';
import type { ChatRequestBody } from './wire.js';

/** `api/chat` or `api/embed` under the server's root URL. */
export function endpoint(baseUrl: string, path: 'api/chat' | 'api/embed'): string {
  return joinUrl(baseUrl, path);
}

/** Ollama has no keys of its own; one behind an authenticating proxy gets a bearer key. */
export const authHeaders = bearerHeader;

/** Temperature and output cap, as Ollama's model `options` (`num_predict` caps the tokens). */
export function modelOptions(params: ChatParams): ChatRequestBody['options'] {
  return { temperature: params.temperature, num_predict: params.maxOutputTokens };
}
