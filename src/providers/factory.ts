/**
 * Picks the provider adapters the configuration asks for. The only place that knows which class
 * serves which provider name; everything else sees the `ChatProvider` and `EmbeddingProvider` ports.
 */
import type { Logger } from 'pino';
import type { ChatProviderName, Config, EmbeddingProviderName } from '../config/config.js';
import { ExtractiveChatProvider } from './extractive.js';
import { FallbackChatProvider } from './fallback.js';
import { GeminiChatProvider, GeminiEmbeddingProvider } from './gemini.js';
import type { RemoteProviderOptions } from './http.js';
import {
  type ProviderInstruments,
  instrumentChatProvider,
  instrumentEmbeddingProvider,
} from './instrumented.js';
import { OllamaChatProvider, OllamaEmbeddingProvider } from './ollama.js';
import { OpenAiChatProvider, OpenAiEmbeddingProvider } from './openai.js';
import type { ChatProvider, EmbeddingProvider } from './provider.js';

type RemoteName = Exclude<ChatProviderName | EmbeddingProviderName, 'extractive' | 'none'>;

/** Each provider's usual small embedding model, used unless `KEEL_EMBEDDING_MODEL` names another. */
export const DEFAULT_EMBEDDING_MODELS = {
  openai: 'text-embedding-3-small',
  gemini: 'text-embedding-004',
  ollama: 'nomic-embed-text',
} as const satisfies Record<Exclude<EmbeddingProviderName, 'none'>, string>;

function remoteOptions(config: Config, name: RemoteName, model?: string): RemoteProviderOptions {
  const remote = config.providers[name];
  return {
    name,
    baseUrl: remote.baseUrl,
    apiKey: remote.apiKey,
    model: model ?? remote.model,
    timeoutMs: config.providers.timeoutMs,
    retries: config.providers.retries,
  };
}

/** One chat adapter, without a fallback chain. */
export function createNamedChatProvider(name: ChatProviderName, config: Config): ChatProvider {
  switch (name) {
    case 'extractive':
      return new ExtractiveChatProvider();
    case 'openai':
    case 'groq':
      return new OpenAiChatProvider(remoteOptions(config, name));
    case 'ollama':
      return new OllamaChatProvider(remoteOptions(config, name));
    case 'gemini':
      return new GeminiChatProvider(remoteOptions(config, name));
  }
}

/**
 * The configured chat provider, followed by its fallback chain (`KEEL_LLM`, then each of
 * `KEEL_LLM_FALLBACK` in order). With no fallback configured it is the bare adapter.
 *
 * @example
 *   const chat = createChatProvider(loadConfig(), { logger });
 *   const result = await chat.chat({ messages, question, passages });
 *   // result.provider is "extractive" when OpenAI was down and the chain fell back.
 */
export function createChatProvider(
  config: Config,
  options: { logger?: Logger; instruments?: ProviderInstruments } = {},
): ChatProvider {
  const names = [...new Set([config.providers.chat, ...config.providers.fallback])];
  const { instruments } = options;
  const chain = names.map((name) => {
    const adapter = createNamedChatProvider(name, config);
    return instruments ? instrumentChatProvider(adapter, instruments) : adapter;
  });
  const [only] = chain;
  if (only && chain.length === 1) return only;
  const { logger } = options;
  return new FallbackChatProvider(chain, {
    onFallback: logger
      ? ({ provider, code, next, message }) =>
          logger.warn(
            { provider, code, next, reason: message },
            'Chat provider failed; falling back',
          )
      : undefined,
  });
}

/**
 * The configured embedding provider, or `undefined` when dense retrieval is off
 * (`KEEL_EMBEDDINGS=none`) and search is lexical only.
 *
 * @example
 *   const embedder = createEmbeddingProvider(loadConfig());
 *   const vectors = embedder ? await embedder.embed(['How do I roll back a policy?']) : [];
 */
export function createEmbeddingProvider(
  config: Config,
  instruments?: ProviderInstruments,
): EmbeddingProvider | undefined {
  const adapter = createEmbeddingAdapter(config);
  return adapter && instruments ? instrumentEmbeddingProvider(adapter, instruments) : adapter;
}

function createEmbeddingAdapter(config: Config): EmbeddingProvider | undefined {
  const name = config.providers.embeddings;
  if (name === 'none') return undefined;
  const model = config.providers.embeddingModel ?? DEFAULT_EMBEDDING_MODELS[name];
  const options = remoteOptions(config, name, model);
  switch (name) {
    case 'openai':
      return new OpenAiEmbeddingProvider(options);
    case 'ollama':
      return new OllamaEmbeddingProvider(options);
    case 'gemini':
      return new GeminiEmbeddingProvider(options);
  }
}
