import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServer, optionsUnderTest } from '../../../test/fixtures/providers/fake-server.js';
import { startOllamaServer } from '../../../test/fixtures/providers/ollama-server.js';
import type { RemoteProviderOptions } from '../http.js';
import { OllamaEmbeddingProvider } from './embedding-model.js';

let server: FakeServer;

beforeEach(async () => {
  server = await startOllamaServer();
});
afterEach(async () => {
  await server.close();
});

function options(): RemoteProviderOptions {
  return optionsUnderTest({
    name: 'ollama',
    baseUrl: server.url,
    apiKey: undefined,
    model: 'nomic-embed-text',
  });
}

describe('Ollama embeddings', () => {
  it('embeds a batch through /api/embed', async () => {
    const embedder = new OllamaEmbeddingProvider(options());
    const vectors = await embedder.embed(['alpha passage', 'beta passage']);

    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toHaveLength(12);
    expect(vectors[0]).not.toEqual(vectors[1]);
    expect(await embedder.dimensions()).toBe(12);
    expect(server.requests[0]?.url).toBe('/api/embed');
    expect(server.requests[0]?.body).toEqual({
      model: 'nomic-embed-text',
      input: ['alpha passage', 'beta passage'],
    });
  });
});
