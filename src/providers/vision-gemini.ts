/**
 * Vision over Gemini's `generateContent`: the image is an `inline_data` part (MIME type and
 * base64 data) beside the prompt's text part; the key travels in `x-goog-api-key` as for chat.
 */
import { answerText, refuseIfBlocked } from './gemini/chat-model.js';
import { authHeaders, endpoint } from './gemini/options.js';
import { type GenerateRequest, responseSchema } from './gemini/wire.js';
import { usageOf } from './http-reply.js';
import { RemoteVisionProvider } from './http.js';
import type { VisionRequest, VisionResult } from './vision-provider.js';

/**
 * @example
 *   const vision = new GeminiVisionProvider({ name: 'gemini',
 *     baseUrl: 'https://generativelanguage.googleapis.com/v1beta', apiKey, model: 'gemini-2.0-flash',
 *     timeoutMs: 60_000, retries: 2 });
 *   const { text } = await vision.analyze({ image: { bytes, mediaType: 'image/webp' }, prompt: 'Read the sign' });
 */
export class GeminiVisionProvider extends RemoteVisionProvider {
  async analyze(request: VisionRequest): Promise<VisionResult> {
    const { bytes, mediaType } = request.image;
    const body: GenerateRequest = {
      contents: [
        {
          role: 'user',
          parts: [
            { inline_data: { mime_type: mediaType, data: bytes.toString('base64') } },
            { text: request.prompt },
          ],
        },
      ],
      ...(request.instructions && {
        systemInstruction: { parts: [{ text: request.instructions }] },
      }),
      generationConfig: { maxOutputTokens: request.maxOutputTokens },
    };
    const reply = await this.http.postJson(
      {
        url: endpoint(this.options.baseUrl, this.model, 'generateContent'),
        headers: authHeaders(this.options.apiKey),
        body,
        signal: request.signal,
      },
      responseSchema,
    );
    refuseIfBlocked(this.name, reply);
    if (!reply.candidates?.[0]) throw this.http.badResponse('the reply has no candidate');
    const text = answerText(reply);
    return {
      text,
      usage: usageOf(request.prompt, text, {
        input: reply.usageMetadata?.promptTokenCount,
        output: reply.usageMetadata?.candidatesTokenCount,
      }),
      provider: this.name,
      model: reply.modelVersion ?? this.model,
    };
  }
}
