/**
 * Vision over the OpenAI chat-completions protocol (OpenAI, vLLM, LM Studio, llama.cpp server):
 * the image travels as an `image_url` content part holding a `data:` URL, so no image is ever
 * published at a URL for the provider to fetch.
 */
import { usageOf } from './http-reply.js';
import { RemoteVisionProvider } from './http.js';
import { authHeaders, endpoint } from './openai/options.js';
import { type CompletionRequest, completionSchema } from './openai/wire.js';
import { type VisionRequest, type VisionResult, instructionMessages } from './vision-provider.js';

/**
 * @example
 *   const vision = new OpenAiVisionProvider({ name: 'openai', baseUrl: 'https://api.openai.com/v1',
 *     apiKey, model: 'gpt-4o-mini', timeoutMs: 60_000, retries: 2 });
 *   const { text } = await vision.analyze({ image: { bytes, mediaType: 'image/png' }, prompt: 'What is on the label?' });
 */
export class OpenAiVisionProvider extends RemoteVisionProvider {
  async analyze(request: VisionRequest): Promise<VisionResult> {
    const { bytes, mediaType } = request.image;
    const body: CompletionRequest = {
      model: this.model,
      messages: [
        ...instructionMessages(request),
        {
          role: 'user',
          content: [
            { type: 'text', text: request.prompt },
            {
              type: 'image_url',
              image_url: { url: `data:${mediaType};base64,${bytes.toString('base64')}` },
            },
          ],
        },
      ],
      max_tokens: request.maxOutputTokens,
      stream: false,
    };
    const reply = await this.http.postJson(
      {
        url: endpoint(this.options.baseUrl, 'chat/completions'),
        headers: authHeaders(this.options.apiKey),
        body,
        signal: request.signal,
      },
      completionSchema,
    );
    const text = reply.choices[0]?.message.content ?? '';
    return {
      text,
      usage: usageOf(request.prompt, text, {
        input: reply.usage?.prompt_tokens,
        output: reply.usage?.completion_tokens,
      }),
      provider: this.name,
      model: reply.model ?? this.model,
    };
  }
}
