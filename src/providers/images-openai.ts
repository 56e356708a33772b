/**
 * Image generation over the OpenAI images protocol (`POST /v1/images/generations`), which OpenAI
 * and many GPU hosts (LocalAI, vLLM-based and diffusion servers) speak.
 */
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { joinUrl } from './http-reply.js';
import { ProviderHttp, bearerHeader } from './http.js';
import type { GeneratedImage, ImageProvider, ImageRequest } from './image-provider.js';

export interface ImageProviderOptions {
  name: string;
  /** The server's root, with or without a trailing `/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  retries: number;
  backoffBaseMs?: number;
}

const imagesReplySchema = z.object({
  data: z
    .array(z.object({ b64_json: z.string().min(1), revised_prompt: z.string().nullish() }))
    .min(1),
  /** gpt-image-* report tokens; DALL·E does not. */
  usage: z
    .object({
      input_tokens: z.number().int().nonnegative(),
      output_tokens: z.number().int().nonnegative(),
    })
    .nullish(),
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Asks for one image as base64 JSON rather than a URL: hosted URLs expire within the hour and
 * would make the job depend on a second download. Timeouts and retries (429, 5xx, network) are
 * the chat providers' own (`ProviderHttp`); a reply that is not one PNG is a non-retryable
 * `provider_bad_response`, since asking again would only pay for the same mistake.
 *
 * @example
 *   const images = new OpenAiImageProvider({ name: 'openai', baseUrl: 'https://api.openai.com',
 *     apiKey, model: 'dall-e-3', timeoutMs: 120_000, retries: 2 });
 *   const { png } = await images.generate({ prompt: 'a lighthouse at dusk', size: '1024x1024' });
 */
export class OpenAiImageProvider implements ImageProvider {
  readonly name: string;
  readonly model: string;
  private readonly http: ProviderHttp;
  private readonly url: string;

  constructor(private readonly options: ImageProviderOptions) {
    this.name = options.name;
    this.model = options.model;
    this.http = new ProviderHttp(options);
    // Chat base URLs end in `/v1` (OPENAI_BASE_URL); accept either form rather than doubling it.
    const root = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.url = joinUrl(root, 'v1/images/generations');
  }

  async generate(request: ImageRequest): Promise<GeneratedImage> {
    const reply = await this.http.postJson(
      {
        url: this.url,
        headers: bearerHeader(this.options.apiKey),
        body: {
          model: this.model,
          prompt: request.prompt,
          size: request.size,
          response_format: 'b64_json',
          n: 1,
        },
        signal: request.signal,
      },
      imagesReplySchema,
    );
    const [first] = reply.data;
    const encoded = first!.b64_json.replace(/\s+/g, '');
    if (!BASE64.test(encoded)) throw this.http.badResponse('b64_json is not base64');
    const png = Buffer.from(encoded, 'base64');
    if (png.length <= PNG_SIGNATURE.length || !png.subarray(0, 8).equals(PNG_SIGNATURE)) {
      throw this.http.badResponse('b64_json does not hold a PNG image');
    }
    return {
      png,
      ...(first!.revised_prompt && { revisedPrompt: first!.revised_prompt }),
      ...(reply.usage && {
        usage: { inputTokens: reply.usage.input_tokens, outputTokens: reply.usage.output_tokens },
      }),
    };
  }
}

/**
 * The configured image provider, or undefined when `KEEL_IMAGES_URL` is not set (the `images`
 * queue then stays closed).
 *
 * @example
 *   const images = createImageProvider(config); // processors get { images: { provider, blobs, answers, quotas } }
 */
export function createImageProvider(config: Pick<Config, 'providers'>): ImageProvider | undefined {
  const images = config.providers.images;
  if (!images) return undefined;
  return new OpenAiImageProvider({
    name: 'openai',
    baseUrl: images.baseUrl,
    apiKey: images.apiKey,
    model: images.model,
    timeoutMs: images.timeoutMs,
    retries: config.providers.retries,
  });
}
