import { describe, expect, it } from 'vitest';
import {
  contractRequest,
  describeChatProviderContract,
} from '../../../test/contracts/chat-provider-contract.js';
import { optionsUnderTest } from '../../../test/fixtures/providers/fake-server.js';
import { replayPerTest } from '../../../test/fixtures/providers/replay-server.js';
import type { RemoteProviderOptions } from '../http.js';
import { OpenAiChatProvider } from './chat-model.js';
import { type CompletionRequest, completionRequestSchema } from './wire.js';

const API_KEY = 'sk-test-4f9c2d7e1b8a4c6f9e2d7b1a8c4f6e9d';

function options(url: string, overrides?: Partial<RemoteProviderOptions>): RemoteProviderOptions {
  return optionsUnderTest(
    { name: 'openai', baseUrl: `${url}/v1`, apiKey: API_KEY, model: 'gpt-4o-mini' },
    overrides,
  );
}

describeChatProviderContract('OpenAI-compatible', {
  create: (url, overrides) => new OpenAiChatProvider(options(url, overrides)),
  expected: {
    name: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    text: 'Run `keel policy rollback` to return to the previous version [1].',
    usage: { inputTokens: 112, outputTokens: 17 },
  },
  api: {
    provider: 'openai',
    apiKey: API_KEY,
    keyHeader: 'authorization',
    paths: { chat: '/v1/chat/completions', stream: '/v1/chat/completions' },
    stream: 'stream.sse',
    errors: [
      'error-400.json',
      'error-401.json',
      'error-404.json',
      'error-429.json',
      'error-500.json',
      'error-503.json',
    ],
    requestSchema: completionRequestSchema,
    paramsOf: (body) => {
      const { temperature, max_tokens } = body as CompletionRequest;
      return { temperature, maxOutputTokens: max_tokens };
    },
  },
});

describe('OpenAI-compatible chat', () => {
  const replay = replayPerTest('openai');

  it('asks for the usage in the last chunk of a stream', async () => {
    replay().play({ file: 'stream.sse' });
    for await (const _event of new OpenAiChatProvider(options(replay().url)).stream(
      contractRequest,
    ));
    expect(replay().requests[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('names the configured provider, e.g. Groq on the same protocol', async () => {
    replay().play({ file: 'error-401.json' });
    const groq = new OpenAiChatProvider(options(replay().url, { name: 'groq' }));
    await expect(groq.chat(contractRequest)).rejects.toMatchObject({
      message: expect.stringMatching(/^groq /),
      details: { provider: 'groq' },
    });
  });

  it('sends no authorization header to a keyless local server (vLLM, LM Studio)', async () => {
    await new OpenAiChatProvider(options(replay().url, { apiKey: undefined })).chat(
      contractRequest,
    );
    expect(replay().requests[0]?.headers.authorization).toBeUndefined();
  });
});
