import { z } from 'zod';

/** USD per million tokens for one model or, under `provider/*`, for every model of a provider. */
export const modelPriceSchema = z
  .object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })
  .strict();

/**
 * A price table as it appears in config (`KEEL_PRICES`): keys are `provider/model` (the model
 * name may itself contain slashes, as Groq's and Ollama's do) or `provider/*`.
 *
 * @example
 *   priceTableSchema.parse({ 'openai/gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } });
 */
export const priceTableSchema = z.record(
  z.string().regex(/^[a-z0-9-]+\/\S+$/, 'keys look like "provider/model" or "provider/*"'),
  modelPriceSchema,
);

export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type PriceTable = Record<string, ModelPrice>;
