import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractGrounding } from '../../test/contracts/chat-provider-contract.js';
import type { FakeServer } from '../../test/fixtures/providers/fake-server.js';
import { startOpenAiServer } from '../../test/fixtures/providers/openai-server.js';
import { UpstreamError } from '../errors.js';
import { ExtractiveChatProvider } from './extractive.js';
import { FallbackChatProvider, fallbacksOf } from './fallback.js';
import { OpenAiChatProvider } from './openai/chat-model.js';
import {
  CHAT_PORT_VERSION,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
} from './provider.js';

const request: ChatRequest = {
  messages: [{ role: 'user', content: 'How do I roll back a policy?' }],
};

/** A provider scripted to emit some deltas and then fail, or to fail at once. */
function scripted(name: string, deltas: string[], error: Error): ChatProvider {
  return {
    portVersion: CHAT_PORT_VERSION,
    name,
    model: `${name}-model`,
    chat: () => Promise.reject(error),
    async *stream(): AsyncGenerator<ChatStreamEvent> {
      for (const text of deltas) yield { type: 'delta', text };
      throw error;
    },
  };
}

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const collected: ChatStreamEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

const outage = () => new UpstreamError('provider_unavailable', 'openai answered HTTP 503', {});

let server: FakeServer;

beforeEach(async () => {
  server = await startOpenAiServer();
});
afterEach(async () => {
  await server.close();
});

function openai(): OpenAiChatProvider {
  return new OpenAiChatProvider({
    name: 'openai',
    baseUrl: `${server.url}/v1`,
    apiKey: 'sk-test-fallback',
    model: 'gpt-4o-mini',
    timeoutMs: 1_000,
    retries: 1,
    backoffBaseMs: 5,
  });
}

describe('fallback chain', () => {
  it('falls through to the extractive provider when the first one fails, and records it', async () => {
    server.faults.failTimes = 10;
    const moves: string[] = [];
    const chain = new FallbackChatProvider(
      [openai(), new ExtractiveChatProvider(contractGrounding)],
      {
        onFallback: ({ provider, code, next }) => moves.push(`${provider}:${code}->${next}`),
      },
    );

    const result = await chain.chat(request);

    expect(result.provider).toBe('extractive');
    expect(result.model).toBe('extractive-v2');
    expect(fallbacksOf(result)).toEqual([{ provider: 'openai', code: 'provider_unavailable' }]);
    expect(moves).toEqual(['openai:provider_unavailable->extractive']);
  });

  it('answers from the first provider when it works, with no fallbacks recorded', async () => {
    const chain = new FallbackChatProvider([
      openai(),
      new ExtractiveChatProvider(contractGrounding),
    ]);
    const result = await chain.chat(request);
    expect(result.provider).toBe('openai');
    expect(fallbacksOf(result)).toEqual([]);
    expect(chain.name).toBe('openai');
  });

  it('falls back in a stream that failed before its first delta', async () => {
    server.faults.reject = true;
    const chain = new FallbackChatProvider([
      openai(),
      new ExtractiveChatProvider(contractGrounding),
    ]);
    const events = await collect(chain.stream(request));
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    const result = (done as { result: ChatResult }).result;
    expect(result.provider).toBe('extractive');
    expect(fallbacksOf(result)).toEqual([{ provider: 'openai', code: 'provider_rejected' }]);
  });

  it('does not fall back once a stream has emitted text', async () => {
    const chain = new FallbackChatProvider([
      scripted('openai', ['Run '], outage()),
      new ExtractiveChatProvider(contractGrounding),
    ]);
    const seen: ChatStreamEvent[] = [];
    const consume = async () => {
      for await (const event of chain.stream(request)) seen.push(event);
    };
    await expect(consume()).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(seen).toEqual([{ type: 'delta', text: 'Run ' }]);
  });

  it('throws the last error, naming every provider tried, when all fail', async () => {
    const chain = new FallbackChatProvider([
      scripted('openai', [], outage()),
      scripted('gemini', [], new UpstreamError('provider_timeout', 'gemini timed out', {})),
    ]);
    await expect(chain.chat(request)).rejects.toMatchObject({
      code: 'provider_timeout',
      details: { tried: ['openai', 'gemini'] },
    });
  });

  it('does not hide a programming error behind a fallback', async () => {
    const chain = new FallbackChatProvider([
      scripted('openai', [], new TypeError('undefined is not a function')),
      new ExtractiveChatProvider(contractGrounding),
    ]);
    await expect(chain.chat(request)).rejects.toBeInstanceOf(TypeError);
  });

  it('does not fall back when the caller cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const chain = new FallbackChatProvider([
      scripted('openai', [], outage()),
      new ExtractiveChatProvider(contractGrounding),
    ]);
    await expect(chain.chat({ ...request, signal: controller.signal })).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
  });
});
