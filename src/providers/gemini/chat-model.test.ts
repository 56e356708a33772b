import { describe, expect, it } from 'vitest';
import {
  contractRequest,
  describeChatProviderContract,
} from '../../../test/contracts/chat-provider-contract.js';
import { optionsUnderTest } from '../../../test/fixtures/providers/fake-server.js';
import { replayPerTest } from '../../../test/fixtures/providers/replay-server.js';
import type { RemoteProviderOptions } from '../http.js';
import { GeminiChatProvider } from './chat-model.js';
import { type GenerateRequest, generateRequestSchema } from './wire.js';

const API_KEY = 'AIzaSyTest-9c2d7e1b8a4c6f9e2d7b1a8c4f6';

function options(url: string, overrides?: Partial<RemoteProviderOptions>): RemoteProviderOptions {
  return optionsUnderTest(
    { name: 'gemini', baseUrl: `${url}/v1beta`, apiKey: API_KEY, model: 'gemini-2.0-flash' },
    overrides,
  );
}

describeChatProviderContract('Gemini', {
  create: (url, overrides) => new GeminiChatProvider(options(url, overrides)),
  expected: {
    name: 'gemini',
    model: 'gemini-2.0-flash',
    text: 'Keel reads its settings from the environment [1].',
    usage: { inputTokens: 95, outputTokens: 11 },
  },
  api: {
    provider: 'gemini',
    apiKey: API_KEY,
    keyHeader: 'x-goog-api-key',
    paths: {
      chat: '/v1beta/models/gemini-2.0-flash:generateContent',
      stream: '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
    },
    stream: 'stream.sse',
    errors: [
      'error-400.json',
      'error-403.json',
      'error-404.json',
      'error-429.json',
      'error-500.json',
      'error-503.json',
    ],
    requestSchema: generateRequestSchema,
    paramsOf: (body) => {
      const config = (body as GenerateRequest).generationConfig;
      return { temperature: config?.temperature, maxOutputTokens: config?.maxOutputTokens };
    },
  },
});

describe('Gemini chat', () => {
  const replay = replayPerTest('gemini');

  it('sends system messages as the system instruction and the other turns as user/model', async () => {
    const conversation = {
      ...contractRequest,
      messages: [
        { role: 'system' as const, content: 'Answer only from the passages; cite them as [n].' },
        { role: 'user' as const, content: 'Hello' },
        { role: 'assistant' as const, content: 'Hello! Ask me about Keel.' },
        { role: 'user' as const, content: 'Question: Where does Keel read its settings from?' },
      ],
    };
    await new GeminiChatProvider(options(replay().url)).chat(conversation);
    expect(replay().requests[0]?.body).toEqual({
      systemInstruction: { parts: [{ text: 'Answer only from the passages; cite them as [n].' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hello' }] },
        { role: 'model', parts: [{ text: 'Hello! Ask me about Keel.' }] },
        { role: 'user', parts: [{ text: 'Question: Where does Keel read its settings from?' }] },
      ],
      generationConfig: { temperature: 0.2, maxOutputTokens: 300 },
    });
  });

  it('treats a prompt blocked by the safety filter as provider_rejected', async () => {
    replay().play({ file: 'blocked.json' });
    const provider = new GeminiChatProvider(options(replay().url));
    await expect(provider.chat(contractRequest)).rejects.toMatchObject({
      code: 'provider_rejected',
      retryable: false,
      details: { blockReason: 'SAFETY' },
    });
  });
});
