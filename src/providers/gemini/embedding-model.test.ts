import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServer, optionsUnderTest } from '../../../test/fixtures/providers/fake-server.js';
import { startGeminiServer } from '../../../test/fixtures/providers/gemini-server.js';
import type { RemoteProviderOptions } from '../http.js';
import { GeminiEmbeddingProvider } from './embedding-model.js';

const API_KEY = 'AIzaSyTest-9c2d7e1b8a4c6f9e2d7b1a8c4f6';

let server: FakeServer;

beforeEach(async () => {
  server = await startGeminiServer();
});
afterEach(async () => {
  await server.close();
});

function options(): RemoteProviderOptions {
  return optionsUnderTest({
    name: 'gemini',
    baseUrl: `${server.url}/v1beta`,
    apiKey: API_KEY,
    model: 'text-embedding-004',
  });
}

describe('Gemini embeddings', () => {
  it('embeds through batchEmbedContents, splitting batches above the API limit', async () => {
    const embedder = new GeminiEmbeddingProvider(options());
    const texts = Array.from({ length: 150 }, (_, position) => `passage number ${position}`);
    const vectors = await embedder.embed(texts);

    expect(vectors).toHaveLength(150);
    expect(vectors[149]).not.toEqual(vectors[0]);
    expect(await embedder.dimensions()).toBe(16);
    expect(server.requests.map((sent) => sent.url)).toEqual([
      '/v1beta/models/text-embedding-004:batchEmbedContents',
      '/v1beta/models/text-embedding-004:batchEmbedContents',
    ]);
    expect(server.requests[0]?.headers['x-goog-api-key']).toBe(API_KEY);
    expect(server.requests[0]?.body).toMatchObject({
      requests: expect.arrayContaining([
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'passage number 0' }] } },
      ]),
    });
  });
});
