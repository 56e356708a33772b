/**
 * The vision port: one image and a prompt in, the model's text about the image out. Adapters:
 * `vision-openai.ts` (image_url data-URL parts), `vision-ollama.ts` (`images` base64 on
 * `/api/chat`), `vision-gemini.ts` (`inline_data` parts); `vision-factory.ts` picks by config.
 * The caller (`src/vision/`) checks the image, the policies, the quota and the cache first.
 */
import type { TokenUsage } from './provider.js';

/** The image types every adapter's service accepts inline. */
export const VISION_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
export type VisionMediaType = (typeof VISION_MEDIA_TYPES)[number];

export interface VisionRequest {
  image: { bytes: Buffer; mediaType: VisionMediaType };
  /** What to find out about the image, already through the input policy. */
  prompt: string;
  /** System instructions (an agent's prompt), when the caller named an agent. */
  instructions?: string;
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

export interface VisionResult {
  text: string;
  /** As the provider reported it; estimated from the prompt and text where it did not. */
  usage: TokenUsage;
  provider: string;
  model: string;
}

export interface VisionProvider {
  /** `openai`, `ollama`, `gemini`: names the provider in results, usage and the cache key. */
  readonly name: string;
  readonly model: string;
  analyze(request: VisionRequest): Promise<VisionResult>;
}

/** The system message carrying an agent's instructions, in the chat-message shape OpenAI and Ollama share. */
export function instructionMessages(request: VisionRequest): { role: 'system'; content: string }[] {
  return request.instructions ? [{ role: 'system', content: request.instructions }] : [];
}
