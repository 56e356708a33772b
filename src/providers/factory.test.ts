import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractGrounding } from '../../test/contracts/chat-provider-contract.js';
import type { FakeServer } from '../../test/fixtures/providers/fake-server.js';
import { startOpenAiServer } from '../../test/fixtures/providers/openai-server.js';
import { type Config, loadConfig } from '../config/config.js';
import { ExtractiveChatProvider } from './extractive.js';
import { createChatChain, createEmbeddingProvider } from './factory.js';
import { FallbackChatProvider, fallbacksOf } from './fallback.js';

function configFrom(env: Record<string, string>): Config {
  return loadConfig({ env, file: '/nonexistent/keel.yaml' });
}

describe('createChatChain', () => {
  it('is the bare extractive provider with zero configuration', () => {
    const chain = createChatChain(configFrom({}));
    expect(chain.name).toBe('extractive');
    expect(chain.model).toBe('extractive-v2');
    expect(chain.ground(contractGrounding)).toBeInstanceOf(ExtractiveChatProvider);
  });

  it('puts the configured provider first and the fallbacks after it', () => {
    const chain = createChatChain(
      configFrom({ KEEL_LLM: 'ollama', KEEL_LLM_FALLBACK: 'ollama,extractive' }),
    );
    expect(chain.name).toBe('ollama');
    expect(chain.model).toBe('llama3.2');
    const provider = chain.ground(contractGrounding);
    expect(provider).toBeInstanceOf(FallbackChatProvider);
    expect(provider.name).toBe('ollama');
  });

  describe('against a failing OpenAI', () => {
    let server: FakeServer;
    const key = 'sk-test-factory-5d1c9e7a3b';

    beforeEach(async () => {
      server = await startOpenAiServer();
    });
    afterEach(async () => {
      await server.close();
    });

    it('falls back to the extractive answer of this grounding and logs why, without the key', async () => {
      server.faults.reject = true;
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
      const chain = createChatChain(
        configFrom({
          KEEL_LLM: 'openai',
          OPENAI_API_KEY: key,
          OPENAI_BASE_URL: `${server.url}/v1`,
          KEEL_PROVIDER_RETRIES: '0',
        }),
        { logger },
      );

      const result = await chain.ground(contractGrounding).chat({
        messages: [{ role: 'user', content: 'How do I roll back a policy?' }],
      });

      expect(result.provider).toBe('extractive');
      expect(result.text).toContain('run `keel policy rollback` [1]');
      expect(fallbacksOf(result)).toEqual([{ provider: 'openai', code: 'provider_rejected' }]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"next":"extractive"');
      expect(lines[0]).not.toContain(key);
    });
  });
});

describe('createEmbeddingProvider', () => {
  it('is undefined when embeddings are off', () => {
    expect(createEmbeddingProvider(configFrom({ KEEL_EMBEDDINGS: 'none' }))).toBeUndefined();
    expect(createEmbeddingProvider(configFrom({}))).toBeUndefined();
  });

  it.each([
    [{ KEEL_EMBEDDINGS: 'openai', OPENAI_API_KEY: 'sk-x' }, 'openai', 'text-embedding-3-small'],
    [{ KEEL_EMBEDDINGS: 'gemini', GEMINI_API_KEY: 'AIza-x' }, 'gemini', 'text-embedding-004'],
    [{ KEEL_EMBEDDINGS: 'ollama' }, 'ollama', 'nomic-embed-text'],
  ])('picks the default model for %o', (env, name, model) => {
    const embedder = createEmbeddingProvider(configFrom(env));
    expect(embedder?.name).toBe(name);
    expect(embedder?.model).toBe(model);
  });

  it('uses KEEL_EMBEDDING_MODEL when set', () => {
    const embedder = createEmbeddingProvider(
      configFrom({ KEEL_EMBEDDINGS: 'ollama', KEEL_EMBEDDING_MODEL: 'mxbai-embed-large' }),
    );
    expect(embedder?.model).toBe('mxbai-embed-large');
  });
});
