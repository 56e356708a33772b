import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IMAGE_PNG,
  type ImagesServer,
  startImagesServer,
} from '../../test/fixtures/providers/images-server.js';
import { loadConfig } from '../config/config.js';
import {
  type ImageProviderOptions,
  OpenAiImageProvider,
  createImageProvider,
} from './images-openai.js';

const API_KEY = 'sk-img-9b1c4e7a2d5f8c3b6e9a1d4f7c2b5e8a';

let server: ImagesServer;
beforeEach(async () => {
  server = await startImagesServer();
});
afterEach(async () => {
  await server.close();
});

function provider(overrides: Partial<ImageProviderOptions> = {}) {
  return new OpenAiImageProvider({
    name: 'openai',
    baseUrl: server.url,
    apiKey: API_KEY,
    model: 'dall-e-3',
    timeoutMs: 2_000,
    retries: 2,
    backoffBaseMs: 5,
    ...overrides,
  });
}

describe('OpenAI-compatible image generation', () => {
  it('asks for one base64 PNG and returns its bytes', async () => {
    const image = await provider().generate({ prompt: 'a lighthouse', size: '512x512' });

    expect(image.png.equals(IMAGE_PNG)).toBe(true);
    expect(image.revisedPrompt).toBe('A detailed rendering of a lighthouse');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      url: '/v1/images/generations',
      headers: { authorization: `Bearer ${API_KEY}` },
      body: {
        model: 'dall-e-3',
        prompt: 'a lighthouse',
        size: '512x512',
        response_format: 'b64_json',
        n: 1,
      },
    });
  });

  it('accepts a base URL that already ends in /v1', async () => {
    await provider({ baseUrl: `${server.url}/v1/` }).generate({ prompt: 'x', size: '64x64' });
    expect(server.requests[0]?.url).toBe('/v1/images/generations');
  });

  it('retries a 500, then succeeds', async () => {
    Object.assign(server.faults, { failTimes: 1, failStatus: 500 });
    const image = await provider().generate({ prompt: 'a lighthouse', size: '512x512' });
    expect(image.png.equals(IMAGE_PNG)).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after its retries on 429, retryable for the job to try later', async () => {
    Object.assign(server.faults, { failTimes: 5, failStatus: 429 });
    await expect(provider().generate({ prompt: 'x', size: '64x64' })).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
      message: expect.stringContaining('HTTP 429'),
    });
    expect(server.requests).toHaveLength(3);
  });

  it.each([
    ['a reply of the wrong shape', () => (server.faults.garbage = 'wrong-shape'), /reply shape/],
    ['text that is not base64', () => (server.payload.b64 = 'not base64 at all!'), /not base64/],
    [
      'base64 that is not a PNG',
      () => (server.payload.b64 = Buffer.from('GIF89a, honest').toString('base64')),
      /not hold a PNG/,
    ],
  ])('refuses %s for good, after one request', async (_name, breakIt, message) => {
    breakIt();
    await expect(provider().generate({ prompt: 'x', size: '64x64' })).rejects.toMatchObject({
      code: 'provider_bad_response',
      retryable: false,
      message: expect.stringMatching(message),
    });
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a refusal and never repeats the key', async () => {
    server.faults.reject = true;
    const failure = provider().generate({ prompt: 'x', size: '64x64' });
    await expect(failure).rejects.toMatchObject({ code: 'provider_rejected', retryable: false });
    await expect(failure).rejects.toThrow(/safety system/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('image provider configuration', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ env: { KEEL_DATA_DIR: '/tmp/keel-images', ...env }, file: '/nonexistent.yaml' });

  it('is off without KEEL_IMAGES_URL', () => {
    expect(createImageProvider(load({}))).toBeUndefined();
  });

  it('uses the configured server, model and key', async () => {
    const images = createImageProvider(
      load({
        KEEL_IMAGES_URL: server.url,
        KEEL_IMAGES_MODEL: 'flux-schnell',
        KEEL_IMAGES_API_KEY: API_KEY,
      }),
    );
    expect(images).toMatchObject({ name: 'openai', model: 'flux-schnell' });
    await images!.generate({ prompt: 'x', size: '64x64' });
    expect(server.requests[0]?.body).toMatchObject({ model: 'flux-schnell' });
  });
});
