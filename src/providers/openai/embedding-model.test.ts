import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServer, optionsUnderTest } from '../../../test/fixtures/providers/fake-server.js';
import { startOpenAiServer } from '../../../test/fixtures/providers/openai-server.js';
import { UpstreamError } from '../../errors.js';
import type { RemoteProviderOptions } from '../http.js';
import { OpenAiEmbeddingProvider } from './embedding-model.js';

let server: FakeServer;

beforeEach(async () => {
  server = await startOpenAiServer();
});
afterEach(async () => {
  await server.close();
});

function options(): RemoteProviderOptions {
  return optionsUnderTest({
    name: 'openai',
    baseUrl: `${server.url}/v1`,
    apiKey: 'sk-test-embeddings',
    model: 'text-embedding-3-small',
  });
}

describe('OpenAI-compatible embeddings', () => {
  it('returns one vector per text in input order and learns the dimensions', async () => {
    const embedder = new OpenAiEmbeddingProvider(options());
    const vectors = await embedder.embed(['first text', 'second text', 'third']);

    expect(vectors).toHaveLength(3);
    expect(vectors[0]).not.toEqual(vectors[1]);
    expect(await embedder.dimensions()).toBe(8);
    expect(server.requests[0]?.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['first text', 'second text', 'third'],
      encoding_format: 'float',
    });
    // The same text embeds the same way, whichever position it had.
    const [again] = await embedder.embed(['second text']);
    expect(again).toEqual(vectors[1]);
  });

  it('asks the server once for the dimensions when nothing was embedded yet', async () => {
    const embedder = new OpenAiEmbeddingProvider(options());
    expect(await embedder.dimensions()).toBe(8);
    expect(await embedder.dimensions()).toBe(8);
    expect(server.requests).toHaveLength(1);
    expect(await embedder.embed([])).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a reply without vectors as provider_bad_response', async () => {
    server.faults.garbage = 'wrong-shape';
    const embedder = new OpenAiEmbeddingProvider(options());
    const error = await embedder.embed(['text']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'provider_bad_response' });
  });
});
