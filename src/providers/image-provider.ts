/**
 * The image generation port: one prompt in, one image out. The OpenAI-compatible adapter lives in
 * `images-openai.ts`; the `images` job processor is its only caller, so generation (which takes
 * tens of seconds on a GPU host) never runs inside an HTTP request.
 */

export interface ImageRequest {
  prompt: string;
  /** `WIDTHxHEIGHT`, e.g. `1024x1024`; which sizes a model accepts is the server's business. */
  size: string;
  signal?: AbortSignal;
}

export interface GeneratedImage {
  /** The image's bytes, checked to be a PNG. */
  png: Buffer;
  /** The prompt as the model rewrote it, when it says (DALL·E 3 does). */
  revisedPrompt?: string;
  /** Tokens billed for the image, when the provider reports them (gpt-image-1 does). */
  usage?: { inputTokens: number; outputTokens: number };
}

export interface ImageProvider {
  /** Names the provider in errors, job results and the cache key. */
  readonly name: string;
  readonly model: string;
  generate(request: ImageRequest): Promise<GeneratedImage>;
}
