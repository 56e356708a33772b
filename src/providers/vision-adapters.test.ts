import { afterEach, describe, expect, it } from 'vitest';
import { SKY_JPEG, SKY_PNG, SKY_WEBP, sha256 } from '../../test/fixtures/images.js';
import type { FakeServer } from '../../test/fixtures/providers/fake-server.js';
import {
  GEMINI_BLOCKED_WORD,
  startGeminiServer,
} from '../../test/fixtures/providers/gemini-server.js';
import { OLLAMA_USAGE, startOllamaServer } from '../../test/fixtures/providers/ollama-server.js';
import { OPENAI_USAGE, startOpenAiServer } from '../../test/fixtures/providers/openai-server.js';
import { UpstreamError } from '../errors.js';
import type { RemoteProviderOptions } from './http.js';
import { GeminiVisionProvider } from './vision-gemini.js';
import { OllamaVisionProvider } from './vision-ollama.js';
import { OpenAiVisionProvider } from './vision-openai.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function options(name: string, baseUrl: string, model: string): RemoteProviderOptions {
  return {
    name,
    baseUrl,
    apiKey: 'test-key-123',
    model,
    timeoutMs: 2_000,
    retries: 1,
    backoffBaseMs: 5,
  };
}

const described = (bytes: Buffer, prompt: string) =>
  `A ${bytes.length}-byte image (sha256 ${sha256(bytes)}); asked: ${prompt}`;

describe('OpenAI-compatible vision', () => {
  it('sends the image as an image_url data URL part and reads the completion', async () => {
    server = await startOpenAiServer();
    const vision = new OpenAiVisionProvider(options('openai', `${server.url}/v1`, 'gpt-4o-mini'));
    const result = await vision.analyze({
      image: { bytes: SKY_PNG, mediaType: 'image/png' },
      prompt: 'What colour is the sky?',
      instructions: 'Answer in one sentence.',
    });
    expect(result).toEqual({
      text: described(SKY_PNG, 'What colour is the sky?'),
      usage: {
        inputTokens: OPENAI_USAGE.prompt_tokens,
        outputTokens: OPENAI_USAGE.completion_tokens,
      },
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
    });
    const body = server.requests[0]?.body as { messages: { role: string; content: unknown }[] };
    expect(body.messages[0]).toEqual({ role: 'system', content: 'Answer in one sentence.' });
    expect(body.messages[1]?.content).toEqual([
      { type: 'text', text: 'What colour is the sky?' },
      {
        type: 'image_url',
        image_url: { url: `data:image/png;base64,${SKY_PNG.toString('base64')}` },
      },
    ]);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer test-key-123');
  });

  it('a refused key is a provider_rejected error that never repeats the key', async () => {
    server = await startOpenAiServer();
    server.faults.reject = true;
    const vision = new OpenAiVisionProvider(options('openai', `${server.url}/v1`, 'gpt-4o-mini'));
    const error = await vision
      .analyze({ image: { bytes: SKY_PNG, mediaType: 'image/png' }, prompt: 'Describe' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('provider_rejected');
    expect((error as UpstreamError).message).not.toContain('test-key-123');
  });
});

describe('Ollama vision', () => {
  it('sends the image base64 in the message images and reads eval counts as usage', async () => {
    server = await startOllamaServer();
    const vision = new OllamaVisionProvider(options('ollama', server.url, 'llava'));
    const result = await vision.analyze({
      image: { bytes: SKY_JPEG, mediaType: 'image/jpeg' },
      prompt: 'Describe the picture',
    });
    expect(result).toEqual({
      text: described(SKY_JPEG, 'Describe the picture'),
      usage: { inputTokens: OLLAMA_USAGE.prompt_eval_count, outputTokens: OLLAMA_USAGE.eval_count },
      provider: 'ollama',
      model: 'llava',
    });
    expect(server.requests[0]?.url).toBe('/api/chat');
    expect(server.requests[0]?.body).toMatchObject({
      model: 'llava',
      stream: false,
      messages: [
        { role: 'user', content: 'Describe the picture', images: [SKY_JPEG.toString('base64')] },
      ],
    });
  });

  it('retries a busy server and then answers', async () => {
    server = await startOllamaServer();
    server.faults.failTimes = 1;
    const vision = new OllamaVisionProvider(options('ollama', server.url, 'llava'));
    const result = await vision.analyze({
      image: { bytes: SKY_JPEG, mediaType: 'image/jpeg' },
      prompt: 'Hi',
    });
    expect(result.text).toContain(sha256(SKY_JPEG));
    expect(server.requests).toHaveLength(2);
  });
});

describe('Gemini vision', () => {
  it('sends the image as an inline_data part beside the prompt and the key in a header', async () => {
    server = await startGeminiServer();
    const vision = new GeminiVisionProvider(
      options('gemini', `${server.url}/v1beta`, 'gemini-2.0-flash'),
    );
    const result = await vision.analyze({
      image: { bytes: SKY_WEBP, mediaType: 'image/webp' },
      prompt: 'Read the sign',
      instructions: 'Be brief.',
    });
    expect(result.text).toBe(described(SKY_WEBP, 'Read the sign'));
    expect(result.provider).toBe('gemini');
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    const request = server.requests[0]!;
    expect(request.url).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(request.headers['x-goog-api-key']).toBe('test-key-123');
    expect(request.url).not.toContain('test-key-123');
    expect(request.body).toMatchObject({
      contents: [
        {
          role: 'user',
          parts: [
            { inline_data: { mime_type: 'image/webp', data: SKY_WEBP.toString('base64') } },
            { text: 'Read the sign' },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
    });
  });

  it('a prompt Gemini blocks is a non-retryable provider_rejected', async () => {
    server = await startGeminiServer();
    const vision = new GeminiVisionProvider(
      options('gemini', `${server.url}/v1beta`, 'gemini-2.0-flash'),
    );
    const error = await vision
      .analyze({
        image: { bytes: SKY_PNG, mediaType: 'image/png' },
        prompt: `about ${GEMINI_BLOCKED_WORD}`,
      })
      .catch((caught: unknown) => caught);
    expect((error as UpstreamError).code).toBe('provider_rejected');
    expect(server.requests).toHaveLength(1);
  });
});
