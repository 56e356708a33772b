/**
 * Picks the provider adapters the configuration asks for. The only place that knows which class
 * serves which provider name; everything else sees the `ChatProvider` and `EmbeddingProvider` ports.
 */
import type { Logger } from 'pino';
import type { ChatProviderName, Config, EmbeddingProviderName } from '../config/config.js';
import {
  EXTRACTIVE_MODEL,
  type ExtractiveGrounding,
  ExtractiveChatProvider,
} from './extractive.js';
import { FallbackChatProvider, type ProviderFailure } from './fallback.js';
import { GeminiChatProvider } from './gemini/chat-model.js';
import { GeminiEmbeddingProvider } from './gemini/embedding-model.js';
import type { RemoteProviderOptions } from './http.js';
import {
  type ProviderInstruments,
  instrumentChatProvider,
  instrumentEmbeddingProvider,
} from './instrumented.js';
import { OllamaChatProvider } from './ollama/chat-model.js';
import { OllamaEmbeddingProvider } from './ollama/embedding-model.js';
import { OpenAiChatProvider } from './openai/chat-model.js';
import { OpenAiEmbeddingProvider } from './openai/embedding-model.js';
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

type RemoteChatName = Exclude<ChatProviderName, 'extractive'>;

/** One remote chat adapter, without a fallback chain. */
function createRemoteChatProvider(name: RemoteChatName, config: Config): ChatProvider {
  const options = remoteOptions(config, name);
  switch (name) {
    case 'openai':
    case 'groq':
      return new OpenAiChatProvider(options);
    case 'ollama':
      return new OllamaChatProvider(options);
    case 'gemini':
      return new GeminiChatProvider(options);
  }
}

/**
 * The chat providers configured for an agent: its provider, then its fallbacks. Named after the
 * first, the one every answer tries first; `ground` gives the chain for one answer.
 */
export interface ChatChain {
  readonly name: string;
  readonly model: string;
  /** The chain for one answer; the extractive adapter, wherever it stands, quotes `grounding`. */
  ground(grounding: ExtractiveGrounding): ChatProvider;
}

/**
 * The configured chat provider, followed by its fallback chain (`KEEL_LLM`, then each of
 * `KEEL_LLM_FALLBACK` in order). With no fallback configured an answer gets the bare adapter.
 * Remote adapters are built once; the extractive one for each answer, from its grounding.
 *
 * @example
 *   const chain = createChatChain(loadConfig(), { logger });
 *   const result = await chain.ground({ question, passages }).chat({ messages });
 *   // result.provider is "extractive" when OpenAI was down and the chain fell back.
 */
export function createChatChain(
  config: Config,
  options: { logger?: Logger; instruments?: ProviderInstruments } = {},
): ChatChain {
  const { logger, instruments } = options;
  const instrument = (adapter: ChatProvider) =>
    instruments ? instrumentChatProvider(adapter, instruments) : adapter;
  const names = [...new Set([config.providers.chat, ...config.providers.fallback])];
  const remote = new Map<ChatProviderName, ChatProvider>(
    names.flatMap((name) =>
      name === 'extractive' ? [] : [[name, instrument(createRemoteChatProvider(name, config))]],
    ),
  );
  const onFallback = logger
    ? ({ provider, code, next, message }: ProviderFailure & { next: string; message: string }) =>
        logger.warn({ provider, code, next, reason: message }, 'Chat provider failed; falling back')
    : undefined;
  const first = names[0] ?? 'extractive';
  return {
    name: first,
    model: remote.get(first)?.model ?? EXTRACTIVE_MODEL,
    ground(grounding) {
      const chain = names.map(
        (name) => remote.get(name) ?? instrument(new ExtractiveChatProvider(grounding)),
      );
      const [only] = chain;
      if (only && chain.length === 1) return only;
      return new FallbackChatProvider(chain, { onFallback });
    },
  };
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
