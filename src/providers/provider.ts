/**
 * The provider ports: one small interface per capability. Each adapter lives in its own file
 * (`extractive.ts`, `openai.ts`, `ollama.ts`, `gemini.ts`) and `factory.ts` picks by config.
 */

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

export interface ChatRequest {
  /** Full conversation for remote models: system prompt first, user question last. */
  messages: ChatMessage[];
  /** The user's question, as the extractive provider needs it on its own. */
  question: string;
  /** Passages already placed in the messages; the extractive provider answers from these. */
  passages: Passage[];
  maxOutputTokens?: number;
  temperature?: number;
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
