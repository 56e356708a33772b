/**
 * Vision over Ollama's `/api/chat`: the user message carries the image base64-encoded in its
 * `images` list (llava, llama3.2-vision, gemma3, qwen2.5vl…).
 */
import { usageOf } from './http-reply.js';
import { RemoteVisionProvider } from './http.js';
import { authHeaders, endpoint } from './ollama/options.js';
import { type ChatRequestBody, chatReplySchema } from './ollama/wire.js';
import { type VisionRequest, type VisionResult, instructionMessages } from './vision-provider.js';

/**
 * @example
 *   const vision = new OllamaVisionProvider({ name: 'ollama', baseUrl: 'http://127.0.0.1:11434',
 *     apiKey: undefined, model: 'llava', timeoutMs: 120_000, retries: 1 });
 *   const { text } = await vision.analyze({ image: { bytes, mediaType: 'image/jpeg' }, prompt: 'Describe the room' });
 */
export class OllamaVisionProvider extends RemoteVisionProvider {
  async analyze(request: VisionRequest): Promise<VisionResult> {
    const body: ChatRequestBody = {
      model: this.model,
      messages: [
        ...instructionMessages(request),
        { role: 'user', content: request.prompt, images: [request.image.bytes.toString('base64')] },
      ],
      stream: false,
      options: { num_predict: request.maxOutputTokens },
    };
    const reply = await this.http.postJson(
      {
        url: endpoint(this.options.baseUrl, 'api/chat'),
        headers: authHeaders(this.options.apiKey),
        body,
        signal: request.signal,
      },
      chatReplySchema,
    );
    if (!reply.done) throw this.http.badResponse('the reply is marked unfinished');
    const text = reply.message?.content ?? '';
    return {
      text,
      usage: usageOf(request.prompt, text, {
        input: reply.prompt_eval_count,
        output: reply.eval_count,
      }),
      provider: this.name,
      model: reply.model ?? this.model,
    };
  }
}
