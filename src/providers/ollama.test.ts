import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from '../../test/fixtures/providers/fake-server.js';
import {
  OLLAMA_ANSWER,
  OLLAMA_STREAM_ERROR_LINE,
  OLLAMA_USAGE,
  startOllamaServer,
} from '../../test/fixtures/providers/ollama-server.js';
import { UpstreamError } from '../errors.js';
import type { RemoteProviderOptions } from './http.js';
import { OllamaChatProvider } from './ollama/chat-model.js';
import { OllamaEmbeddingProvider } from './ollama/embedding-model.js';
import type { ChatRequest, ChatStreamEvent } from './provider.js';

const request: ChatRequest = {
  messages: [
    { role: 'system', content: 'Answer only from the passages; cite them as [n].' },
    { role: 'user', content: 'Question: Where do policies come from?' },
  ],
  maxOutputTokens: 200,
};

let server: FakeServer;

beforeEach(async () => {
  server = await startOllamaServer();
});
afterEach(async () => {
  await server.close();
});

function options(overrides: Partial<RemoteProviderOptions> = {}): RemoteProviderOptions {
  return {
    name: 'ollama',
    baseUrl: server.url,
    apiKey: undefined,
    model: 'llama3.2',
    timeoutMs: 2_000,
    retries: 2,
    backoffBaseMs: 5,
    ...overrides,
  };
}

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const collected: ChatStreamEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const expectedUsage = {
  inputTokens: OLLAMA_USAGE.prompt_eval_count,
  outputTokens: OLLAMA_USAGE.eval_count,
};

describe('Ollama chat', () => {
  it('answers with prompt_eval_count/eval_count as usage', async () => {
    const result = await new OllamaChatProvider(options()).chat(request);

    expect(result).toEqual({
      text: OLLAMA_ANSWER,
      usage: expectedUsage,
      provider: 'ollama',
      model: 'llama3.2',
      finishReason: 'stop',
    });
    expect(server.requests[0]?.body).toEqual({
      model: 'llama3.2',
      messages: request.messages,
      stream: false,
      options: { num_predict: 200 },
    });
  });

  it('streams newline-delimited JSON into deltas, with usage from the final line', async () => {
    const events = await collect(new OllamaChatProvider(options()).stream(request));

    const deltas = events.flatMap((event) => (event.type === 'delta' ? [event.text] : []));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(OLLAMA_ANSWER);
    expect(events.at(-1)).toEqual({
      type: 'done',
      result: expect.objectContaining({ text: OLLAMA_ANSWER, usage: expectedUsage }),
    });
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
  });

  it('turns an error line in the middle of a stream into provider_unavailable', async () => {
    server.faults.garbageChunk = OLLAMA_STREAM_ERROR_LINE;
    const error = await failure(collect(new OllamaChatProvider(options()).stream(request)));
    expect(error.code).toBe('provider_unavailable');
    expect(error.message).toContain('unexpected EOF');
  });

  it('reports a stream that ends before its "done" line as provider_bad_response', async () => {
    server.faults.truncateStream = true;
    const error = await failure(collect(new OllamaChatProvider(options()).stream(request)));
    expect(error.code).toBe('provider_bad_response');
  });

  it('retries a busy server (503) and then answers', async () => {
    server.faults.failTimes = 1;
    const result = await new OllamaChatProvider(options()).chat(request);
    expect(result.text).toBe(OLLAMA_ANSWER);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry an unknown model (404) and says which model', async () => {
    server.faults.reject = true;
    const error = await failure(new OllamaChatProvider(options()).chat(request));
    expect(error.code).toBe('provider_rejected');
    expect(error.message).toContain('model "llama3.2" not found');
    expect(server.requests).toHaveLength(1);
  });

  it('times out as provider_timeout', async () => {
    server.faults.delayMs = 1_000;
    const provider = new OllamaChatProvider(options({ timeoutMs: 100, retries: 0 }));
    expect((await failure(provider.chat(request))).code).toBe('provider_timeout');
  });

  it('reports garbage as provider_bad_response', async () => {
    server.faults.garbage = 'not-json';
    const error = await failure(new OllamaChatProvider(options()).chat(request));
    expect(error.code).toBe('provider_bad_response');
  });
});

describe('Ollama embeddings', () => {
  it('embeds a batch through /api/embed', async () => {
    const embedder = new OllamaEmbeddingProvider(options({ model: 'nomic-embed-text' }));
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
