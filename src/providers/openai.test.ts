import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from '../../test/fixtures/providers/fake-server.js';
import {
  OPENAI_ANSWER,
  OPENAI_USAGE,
  startOpenAiServer,
} from '../../test/fixtures/providers/openai-server.js';
import { UpstreamError } from '../errors.js';
import type { RemoteProviderOptions } from './http.js';
import { OpenAiChatProvider } from './openai/chat-model.js';
import { OpenAiEmbeddingProvider } from './openai/embedding-model.js';
import type { ChatRequest, ChatStreamEvent } from './provider.js';

const API_KEY = 'sk-test-4f9c2d7e1b8a4c6f9e2d7b1a8c4f6e9d';

const request: ChatRequest = {
  messages: [
    { role: 'system', content: 'Answer only from the passages; cite them as [n].' },
    { role: 'user', content: 'Passages:\n\n[1] policies.md\n...\n\nQuestion: How do I roll back?' },
  ],
  maxOutputTokens: 300,
  temperature: 0.2,
};

let server: FakeServer;

beforeEach(async () => {
  server = await startOpenAiServer();
});
afterEach(async () => {
  await server.close();
});

function options(overrides: Partial<RemoteProviderOptions> = {}): RemoteProviderOptions {
  return {
    name: 'openai',
    baseUrl: `${server.url}/v1`,
    apiKey: API_KEY,
    model: 'gpt-4o-mini',
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

describe('OpenAI-compatible chat', () => {
  it('answers with the reported usage and sends the protocol request', async () => {
    const result = await new OpenAiChatProvider(options()).chat(request);

    expect(result).toEqual({
      text: OPENAI_ANSWER,
      usage: {
        inputTokens: OPENAI_USAGE.prompt_tokens,
        outputTokens: OPENAI_USAGE.completion_tokens,
      },
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      finishReason: 'stop',
    });
    const [sent] = server.requests;
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: request.messages,
      max_tokens: 300,
      temperature: 0.2,
      stream: false,
    });
  });

  it('streams deltas that add up to the answer, then usage from the last chunk', async () => {
    const events = await collect(new OpenAiChatProvider(options()).stream(request));

    const deltas = events.flatMap((event) => (event.type === 'delta' ? [event.text] : []));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(OPENAI_ANSWER);
    expect(events.at(-1)).toEqual({
      type: 'done',
      result: expect.objectContaining({
        text: OPENAI_ANSWER,
        usage: {
          inputTokens: OPENAI_USAGE.prompt_tokens,
          outputTokens: OPENAI_USAGE.completion_tokens,
        },
        finishReason: 'stop',
      }),
    });
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('names the configured provider, e.g. Groq on the same protocol', async () => {
    server.faults.reject = true;
    const error = await failure(new OpenAiChatProvider(options({ name: 'groq' })).chat(request));
    expect(error.details.provider).toBe('groq');
    expect(error.message).toMatch(/^groq /);
  });

  it('sends no authorization header to a keyless local server (vLLM, LM Studio)', async () => {
    await new OpenAiChatProvider(options({ apiKey: undefined })).chat(request);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('OpenAI-compatible failures', () => {
  it('times out a silent server as provider_timeout', async () => {
    server.faults.delayMs = 1_000;
    const provider = new OpenAiChatProvider(options({ timeoutMs: 100, retries: 0 }));
    const error = await failure(provider.chat(request));
    expect(error.code).toBe('provider_timeout');
    expect(error.retryable).toBe(true);
  });

  it('times out a stream that falls silent after its first chunk', async () => {
    server.faults.stallAfterFirstChunkMs = 1_000;
    const provider = new OpenAiChatProvider(options({ timeoutMs: 150, retries: 0 }));
    const error = await failure(collect(provider.stream(request)));
    expect(error.code).toBe('provider_timeout');
  });

  it('lets a stream run longer than the timeout as long as chunks keep coming', async () => {
    server.faults.chunkIntervalMs = 40;
    const provider = new OpenAiChatProvider(options({ timeoutMs: 300, retries: 0 }));
    const started = Date.now();
    const events = await collect(provider.stream(request));
    expect(Date.now() - started).toBeGreaterThan(300);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('retries a 429 with Retry-After, then succeeds', async () => {
    server.faults.failTimes = 2;
    server.faults.failStatus = 429;
    server.faults.retryAfterSeconds = 0;
    const result = await new OpenAiChatProvider(options()).chat(request);
    expect(result.text).toBe(OPENAI_ANSWER);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after the configured retries with provider_unavailable', async () => {
    server.faults.failTimes = 10;
    server.faults.failStatus = 503;
    const error = await failure(new OpenAiChatProvider(options({ retries: 2 })).chat(request));
    expect(error.code).toBe('provider_unavailable');
    expect(error.details).toMatchObject({ provider: 'openai', status: 503, attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 401, and never repeats the API key the upstream echoed', async () => {
    server.faults.reject = true;
    const error = await failure(new OpenAiChatProvider(options()).chat(request));

    expect(error.code).toBe('provider_rejected');
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    expect(error.message).not.toContain(API_KEY);
    expect(JSON.stringify(error.details)).not.toContain(API_KEY);
    expect(error.stack ?? '').not.toContain(API_KEY);
  });

  it.each(['not-json', 'wrong-shape'] as const)(
    'reports a %s reply as provider_bad_response',
    async (garbage) => {
      server.faults.garbage = garbage;
      const error = await failure(new OpenAiChatProvider(options()).chat(request));
      expect(error.code).toBe('provider_bad_response');
      expect(server.requests).toHaveLength(1);
    },
  );

  it('reports a garbage stream chunk and a stream cut before [DONE] as provider_bad_response', async () => {
    server.faults.garbageChunk = 'data: {"choices": [oops\n\n';
    const garbled = await failure(collect(new OpenAiChatProvider(options()).stream(request)));
    expect(garbled.code).toBe('provider_bad_response');

    server.faults.garbageChunk = undefined;
    server.faults.truncateStream = true;
    const truncated = await failure(collect(new OpenAiChatProvider(options()).stream(request)));
    expect(truncated.code).toBe('provider_bad_response');
  });

  it('reports an unreachable server as provider_unavailable', async () => {
    await server.close();
    const error = await failure(new OpenAiChatProvider(options({ retries: 0 })).chat(request));
    expect(error.code).toBe('provider_unavailable');
    expect(error.message).toContain('Could not reach openai');
  });

  it('stops at once when the caller cancels, without retrying', async () => {
    server.faults.delayMs = 1_000;
    const controller = new AbortController();
    const pending = new OpenAiChatProvider(options()).chat({
      ...request,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('OpenAI-compatible embeddings', () => {
  it('returns one vector per text in input order and learns the dimensions', async () => {
    const embedder = new OpenAiEmbeddingProvider(options({ model: 'text-embedding-3-small' }));
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
    const embedder = new OpenAiEmbeddingProvider(options({ model: 'text-embedding-3-small' }));
    expect(await embedder.dimensions()).toBe(8);
    expect(await embedder.dimensions()).toBe(8);
    expect(server.requests).toHaveLength(1);
    expect(await embedder.embed([])).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a reply without vectors as provider_bad_response', async () => {
    server.faults.garbage = 'wrong-shape';
    const embedder = new OpenAiEmbeddingProvider(options());
    const error = await failure(embedder.embed(['text']));
    expect(error.code).toBe('provider_bad_response');
  });
});
