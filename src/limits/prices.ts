import type { ModelPrice, PriceTable } from '../config/price-table.js';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * Built-in list prices (USD per million tokens, standard tier, as published by each provider in
 * 2025). Prices change: a deployment that bills on them should set `KEEL_PRICES` to what it pays. Local and offline providers cost nothing; a model missing here is
 * counted at 0 — its calls and tokens are still in the ledger and still under the token quotas.
 */
export const DEFAULT_PRICES: PriceTable = {
  'extractive/*': { inputPerMillion: 0, outputPerMillion: 0 },
  'ollama/*': { inputPerMillion: 0, outputPerMillion: 0 },
  'openai/gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'openai/gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'openai/text-embedding-3-small': { inputPerMillion: 0.02, outputPerMillion: 0 },
  'openai/text-embedding-3-large': { inputPerMillion: 0.13, outputPerMillion: 0 },
  'gemini/gemini-2.0-flash': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'groq/llama-3.1-8b-instant': { inputPerMillion: 0.05, outputPerMillion: 0.08 },
  'groq/llama-3.3-70b-versatile': { inputPerMillion: 0.59, outputPerMillion: 0.79 },
};

/**
 * A snapshot's suffix: providers bill a call as the model asked for but name the snapshot that
 * answered it (OpenAI `gpt-4o-mini-2024-07-18`, Gemini `gemini-2.0-flash-001`, Anthropic
 * `claude-3-5-haiku-20241022`).
 */
const SNAPSHOT_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-\d{3})$/;

/**
 * The price of `provider/model`: the exact entry, else the entry of the model a dated or numbered
 * snapshot belongs to, else `provider/*`, else undefined.
 */
export function priceOf(
  table: PriceTable,
  provider: string,
  model: string,
): ModelPrice | undefined {
  // Own properties only: a model named "constructor" must not find Object.prototype's.
  const lookup = (key: string): ModelPrice | undefined =>
    Object.hasOwn(table, key) ? table[key] : undefined;
  return (
    lookup(`${provider}/${model}`) ??
    lookup(`${provider}/${model.replace(SNAPSHOT_SUFFIX, '')}`) ??
    lookup(`${provider}/*`)
  );
}

/**
 * The cost in USD of one call. Unknown models cost 0 (see DEFAULT_PRICES). Negative or non-finite
 * token counts count as 0: an odd usage report from a provider must not fail an answer that has
 * already been produced.
 *
 * @example
 *   costOf(DEFAULT_PRICES, 'openai', 'gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 0 }); // 0.15
 */
export function costOf(
  table: PriceTable,
  provider: string,
  model: string,
  usage: TokenUsage,
): number {
  const price = priceOf(table, provider, model);
  if (!price) return 0;
  return (
    (tokens(usage.inputTokens) * price.inputPerMillion +
      tokens(usage.outputTokens) * price.outputPerMillion) /
    1_000_000
  );
}

function tokens(count: number): number {
  return Number.isFinite(count) && count > 0 ? count : 0;
}
