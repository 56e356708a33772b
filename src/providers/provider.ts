/**
 * The provider ports: one small interface per capability. The extractive adapter lives in
 * `extractive.ts`; each remote provider in a folder (`openai/`, `ollama/`, `gemini/`) of its
 * models (the adapters), its wire format (zod) and its options; `factory.ts` picks by config.
 */

/**
 * The chat port's version, which every chat adapter states. v2: a request is the prompt alone;
 * an adapter that answers from something else (the extractive one: the question and passages)
 * is given it when built. Changing the port's shape bumps it, so an adapter not brought along
 * fails to compile instead of misreading requests.
 */
export const CHAT_PORT_VERSION = 'v2';

/** A retrieved passage the model may cite as `[n]`, where n = `index`. */
export interface Passage {
  index: number;
  chunkId: number;
  path: string;
  heading: string;
  lines: [number, number];
  version: string;
  score: number;
  text: string;
  /**
   * The passage reads like instructions to the model (a prompt injection in a synced document);
   * it is given to the model inside a fence that marks it as untrusted data.
   */
  fenced?: boolean;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** How to generate; each adapter maps these onto its provider's own options. */
export interface ChatParams {
  maxOutputTokens?: number;
  temperature?: number;
}

/** One chat call: the prompt and how to generate, nothing else. */
export interface ChatRequest extends ChatParams {
  /** The whole conversation: system prompt first, user turn with passages and question last. */
  messages: ChatMessage[];
  signal?: AbortSignal;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatResult {
  text: string;
  usage: TokenUsage;
  provider: string;
  model: string;
  finishReason: 'stop' | 'length' | 'error' | 'other';
  /**
   * The provider found nothing to answer with and says so in `text` (the extractive provider
   * names the closest sections it found): the governor refuses with that text instead of its own.
   */
  declined?: boolean;
}

/** One piece of a streamed answer; the last chunk carries `done` with the full result. */
export type ChatStreamEvent =
  { type: 'delta'; text: string } | { type: 'done'; result: ChatResult };

export interface ChatProvider {
  readonly portVersion: typeof CHAT_PORT_VERSION;
  /** `extractive`, `openai`, `groq`, `ollama`, `gemini`. */
  readonly name: string;
  readonly model: string;
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Streams deltas as the upstream produces them. */
  stream(request: ChatRequest): AsyncIterable<ChatStreamEvent>;
}

export interface EmbeddingProvider {
  readonly name: string;
  readonly model: string;
  /** Vector length; known after the first call for providers that do not declare it. */
  dimensions(): Promise<number>;
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<number[][]>;
}
