import { describe, expect, it } from 'vitest';
import { type PriceTable, priceTableSchema } from '../config/price-table.js';
import { DEFAULT_PRICES, costOf } from './prices.js';

const table: PriceTable = {
  'openai/gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'openai/*': { inputPerMillion: 5, outputPerMillion: 15 },
  'groq/meta-llama/llama-4-scout': { inputPerMillion: 0.11, outputPerMillion: 0.34 },
};

describe('costOf', () => {
  it('prices an exact model match before the provider’s wildcard', () => {
    expect(
      costOf(table, 'openai', 'gpt-4o-mini', { inputTokens: 2_000_000, outputTokens: 1_000_000 }),
    ).toBeCloseTo(0.9, 10);
    expect(
      costOf(table, 'openai', 'some-new-model', { inputTokens: 1_000, outputTokens: 1_000 }),
    ).toBeCloseTo(0.02, 10);
  });

  it('matches model names that contain slashes', () => {
    expect(
      costOf(table, 'groq', 'meta-llama/llama-4-scout', {
        inputTokens: 1_000_000,
        outputTokens: 0,
      }),
    ).toBeCloseTo(0.11, 10);
  });

  it('costs 0 for a provider with no entry, and for inherited object keys', () => {
    const usage = { inputTokens: 1_000, outputTokens: 1_000 };
    expect(costOf(table, 'gemini', 'gemini-2.0-flash', usage)).toBe(0);
    expect(costOf({}, 'toString', '', usage)).toBe(0);
    expect(
      costOf({ 'a/*': { inputPerMillion: 1, outputPerMillion: 1 } }, 'constructor', 'x', usage),
    ).toBe(0);
  });

  it('counts negative or non-finite token reports as 0', () => {
    expect(
      costOf(table, 'openai', 'gpt-4o-mini', { inputTokens: -5, outputTokens: Number.NaN }),
    ).toBe(0);
  });

  it('ships defaults where the offline and local providers are free', () => {
    const usage = { inputTokens: 10_000, outputTokens: 10_000 };
    expect(costOf(DEFAULT_PRICES, 'extractive', 'extractive', usage)).toBe(0);
    expect(costOf(DEFAULT_PRICES, 'ollama', 'llama3.2', usage)).toBe(0);
    expect(costOf(DEFAULT_PRICES, 'openai', 'gpt-4o-mini', usage)).toBeCloseTo(0.0075, 10);
  });
});

describe('priceTableSchema', () => {
  it('accepts the defaults and provider/model or provider/* keys', () => {
    expect(priceTableSchema.parse(DEFAULT_PRICES)).toEqual(DEFAULT_PRICES);
  });

  it('rejects keys without a provider, negative prices and unknown fields', () => {
    const price = { inputPerMillion: 1, outputPerMillion: 1 };
    expect(priceTableSchema.safeParse({ 'gpt-4o': price }).success).toBe(false);
    expect(priceTableSchema.safeParse({ 'OpenAI/gpt-4o': price }).success).toBe(false);
    expect(
      priceTableSchema.safeParse({ 'openai/x': { inputPerMillion: -1, outputPerMillion: 0 } })
        .success,
    ).toBe(false);
    expect(priceTableSchema.safeParse({ 'openai/x': { ...price, currency: 'EUR' } }).success).toBe(
      false,
    );
  });
});
