import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../test/helpers/test-keel.js';

describe('QuotaService.settle', () => {
  let test: Awaited<ReturnType<typeof createTestKeel>>;
  beforeAll(async () => {
    test = await createTestKeel({ KEEL_EMBEDDINGS: 'none' }, { bundled: false, worker: false });
  });
  afterAll(() => test.close());

  const holder = { workspaceId: 'default', userId: 'u-dated', apiKeyId: null };
  const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };

  /** The cost the ledger records for one call answered by `provider`'s `model`. */
  async function billed(provider: string, model: string, userId: string): Promise<number> {
    const since = new Date(Date.now() - 60_000).toISOString();
    const ticket = await test.keel.quotas.reserve({ ...holder, userId }, `trace-${userId}`);
    await ticket.settle({ provider, model, usage });
    return (await test.keel.store.usage.totals({ userId, since })).cost;
  }

  it('bills a dated snapshot the provider names in its reply at its model’s price', async () => {
    // OpenAI answers a call to gpt-4o-mini as gpt-4o-mini-2024-07-18; Gemini's modelVersion
    // for gemini-2.0-flash is gemini-2.0-flash-001.
    expect(await billed('openai', 'gpt-4o-mini-2024-07-18', 'u-openai')).toBeCloseTo(0.75, 10);
    expect(await billed('openai', 'gpt-4o-2024-08-06', 'u-openai-4o')).toBeCloseTo(12.5, 10);
    expect(await billed('gemini', 'gemini-2.0-flash-001', 'u-gemini')).toBeCloseTo(0.5, 10);
  });

  it('does not price a different model by a shared prefix', async () => {
    expect(await billed('openai', 'gpt-4o-mini-audio-preview', 'u-audio')).toBe(0);
  });
});
