/** Keel's settings in chat-completions terms: the endpoint, the key, the call parameters. */
import { joinUrl } from '../http-reply.js';
import { bearerHeader } from '../http.js';
import type { ChatParams } from '../provider.js';
import type { CompletionRequest } from './wire.js';

/** `chat/completions` or `embeddings` under the configured base URL (which ends in `/v1`). */
export function endpoint(baseUrl: string, path: 'chat/completions' | 'embeddings'): string {
  return joinUrl(baseUrl, path);
}

/** A bearer key, or no header at all for keyless local servers (vLLM, LM Studio). */
export const authHeaders = bearerHeader;

/** Temperature and output cap; `max_tokens` rather than `max_completion_tokens`: every compatible server accepts it. */
export function completionParams(
  params: ChatParams,
): Pick<CompletionRequest, 'temperature' | 'max_tokens'> {
  return { temperature: params.temperature, max_tokens: params.maxOutputTokens };
}

/** Streaming, with the usage in a last chunk: the protocol sends it only when asked for. */
export function streamParams(
  stream: boolean,
): Pick<CompletionRequest, 'stream' | 'stream_options'> {
  return stream ? { stream, stream_options: { include_usage: true } } : { stream };
}
