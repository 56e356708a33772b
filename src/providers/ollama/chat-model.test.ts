import { describe, expect, it } from 'vitest';
import {
  contractRequest,
  describeChatProviderContract,
} from '../../../test/contracts/chat-provider-contract.js';
import { optionsUnderTest } from '../../../test/fixtures/providers/fake-server.js';
import { replayPerTest } from '../../../test/fixtures/providers/replay-server.js';
import { UpstreamError } from '../../errors.js';
import type { RemoteProviderOptions } from '../http.js';
import { OllamaChatProvider } from './chat-model.js';
import { type ChatRequestBody, chatRequestSchema } from './wire.js';

// Ollama itself takes no key; one behind an authenticating proxy is sent a bearer key.
const API_KEY = 'proxy-test-7c1e9a3d5b';

function options(url: string, overrides?: Partial<RemoteProviderOptions>): RemoteProviderOptions {
  return optionsUnderTest(
    { name: 'ollama', baseUrl: url, apiKey: API_KEY, model: 'llama3.2' },
    overrides,
  );
}

describeChatProviderContract('Ollama', {
  create: (url, overrides) => new OllamaChatProvider(options(url, overrides)),
  expected: {
    name: 'ollama',
    model: 'llama3.2',
    text: 'Policies are loaded read-only from the policies folder [2].',
    usage: { inputTokens: 86, outputTokens: 14 },
  },
  api: {
    provider: 'ollama',
    apiKey: API_KEY,
    keyHeader: 'authorization',
    paths: { chat: '/api/chat', stream: '/api/chat' },
    stream: 'stream.ndjson',
    errors: ['error-400.json', 'error-404.json', 'error-500.json', 'error-503.json'],
    requestSchema: chatRequestSchema,
    paramsOf: (body) => {
      const sent = (body as ChatRequestBody).options;
      return { temperature: sent?.temperature, maxOutputTokens: sent?.num_predict };
    },
  },
});

describe('Ollama chat', () => {
  const replay = replayPerTest('ollama');

  it('turns an error line in the middle of a stream into provider_unavailable', async () => {
    replay().play({ file: 'stream-error.ndjson' });
    const provider = new OllamaChatProvider(options(replay().url));
    const deltas: string[] = [];
    const consume = async () => {
      for await (const event of provider.stream(contractRequest)) {
        if (event.type === 'delta') deltas.push(event.text);
      }
    };
    const error = await consume().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'provider_unavailable' });
    expect((error as Error).message).toContain('unexpected EOF');
    expect(deltas.join('')).toBe('Policies are');
  });

  it('asks for one JSON reply, or a stream, with stream set either way', async () => {
    replay().play({ file: 'reply.json' }, { file: 'stream.ndjson' });
    const provider = new OllamaChatProvider(options(replay().url));
    await provider.chat(contractRequest);
    for await (const _event of provider.stream(contractRequest));
    expect(replay().requests.map((sent) => (sent.body as ChatRequestBody).stream)).toEqual([
      false,
      true,
    ]);
  });
});
