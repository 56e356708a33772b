import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from '../../test/fixtures/providers/fake-server.js';
import {
  GEMINI_ANSWER,
  GEMINI_BLOCKED_WORD,
  GEMINI_USAGE,
  startGeminiServer,
} from '../../test/fixtures/providers/gemini-server.js';
import { UpstreamError } from '../errors.js';
import { GeminiChatProvider } from './gemini/chat-model.js';
import { GeminiEmbeddingProvider } from './gemini/embedding-model.js';
import type { RemoteProviderOptions } from './http.js';
import type { ChatRequest, ChatStreamEvent } from './provider.js';

const API_KEY = 'AIzaSyTest-9c2d7e1b8a4c6f9e2d7b1a8c4f6';

const request: ChatRequest = {
  messages: [
    { role: 'system', content: 'Answer only from the passages; cite them as [n].' },
    { role: 'user', content: 'Hello' },
    { role: 'assistant', content: 'Hello! Ask me about Keel.' },
    { role: 'user', content: 'Question: Where does Keel read its settings from?' },
  ],
  temperature: 0,
  maxOutputTokens: 256,
};

let server: FakeServer;

beforeEach(async () => {
  server = await startGeminiServer();
});
afterEach(async () => {
  await server.close();
});

function options(overrides: Partial<RemoteProviderOptions> = {}): RemoteProviderOptions {
  return {
    name: 'gemini',
    baseUrl: `${server.url}/v1beta`,
    apiKey: API_KEY,
    model: 'gemini-2.0-flash',
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
  inputTokens: GEMINI_USAGE.promptTokenCount,
  outputTokens: GEMINI_USAGE.candidatesTokenCount,
};

describe('Gemini chat', () => {
  it('sends a system instruction and user/model turns, the key only in its header', async () => {
    const result = await new GeminiChatProvider(options()).chat(request);

    expect(result).toEqual({
      text: GEMINI_ANSWER,
      usage: expectedUsage,
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      finishReason: 'stop',
    });
    const [sent] = server.requests;
    expect(sent?.url).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(sent?.url).not.toContain(API_KEY);
    expect(sent?.headers['x-goog-api-key']).toBe(API_KEY);
    expect(sent?.body).toEqual({
      systemInstruction: { parts: [{ text: 'Answer only from the passages; cite them as [n].' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hello' }] },
        { role: 'model', parts: [{ text: 'Hello! Ask me about Keel.' }] },
        { role: 'user', parts: [{ text: 'Question: Where does Keel read its settings from?' }] },
      ],
      generationConfig: { temperature: 0, maxOutputTokens: 256 },
    });
  });

  it('streams server-sent events into deltas, with usageMetadata from the last one', async () => {
    const events = await collect(new GeminiChatProvider(options()).stream(request));

    const deltas = events.flatMap((event) => (event.type === 'delta' ? [event.text] : []));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(GEMINI_ANSWER);
    expect(events.at(-1)).toEqual({
      type: 'done',
      result: expect.objectContaining({
        text: GEMINI_ANSWER,
        usage: expectedUsage,
        finishReason: 'stop',
      }),
    });
    expect(server.requests[0]?.url).toBe(
      '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
    );
  });

  it('treats a prompt blocked by the safety filter as provider_rejected', async () => {
    const blocked = {
      ...request,
      messages: [{ role: 'user' as const, content: `Tell me about ${GEMINI_BLOCKED_WORD}` }],
    };
    const error = await failure(new GeminiChatProvider(options()).chat(blocked));
    expect(error.code).toBe('provider_rejected');
    expect(error.details.blockReason).toBe('SAFETY');
  });

  it('retries RESOURCE_EXHAUSTED (429) and then answers', async () => {
    server.faults.failTimes = 2;
    server.faults.failStatus = 429;
    const result = await new GeminiChatProvider(options()).chat(request);
    expect(result.text).toBe(GEMINI_ANSWER);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry an invalid key, and keeps the key out of the error', async () => {
    server.faults.reject = true;
    const error = await failure(new GeminiChatProvider(options()).chat(request));
    expect(error.code).toBe('provider_rejected');
    expect(error.message).toContain('API key not valid');
    expect(`${error.message}${JSON.stringify(error.details)}`).not.toContain(API_KEY);
    expect(server.requests).toHaveLength(1);
  });

  it('times out as provider_timeout', async () => {
    server.faults.delayMs = 1_000;
    const provider = new GeminiChatProvider(options({ timeoutMs: 100, retries: 0 }));
    expect((await failure(provider.chat(request))).code).toBe('provider_timeout');
  });

  it('reports a reply with no candidate as provider_bad_response', async () => {
    server.faults.garbage = 'wrong-shape';
    const error = await failure(new GeminiChatProvider(options()).chat(request));
    expect(error.code).toBe('provider_bad_response');
  });

  it('reports a stream cut before its finish reason as provider_bad_response', async () => {
    server.faults.truncateStream = true;
    const error = await failure(collect(new GeminiChatProvider(options()).stream(request)));
    expect(error.code).toBe('provider_bad_response');
  });
});

describe('Gemini embeddings', () => {
  it('embeds through batchEmbedContents, splitting batches above the API limit', async () => {
    const embedder = new GeminiEmbeddingProvider(options({ model: 'text-embedding-004' }));
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
