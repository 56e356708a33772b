import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAiServer } from '../../../test/fixtures/providers/openai-server.js';
import type { FakeServer } from '../../../test/fixtures/providers/fake-server.js';
import { openAiEnv } from '../../../test/helpers/server-mode.js';
import { type TestKeel, createTestKeel } from '../../../test/helpers/test-keel.js';

const ask = (keel: TestKeel, message: string) =>
  keel.app.inject({ method: 'POST', url: '/v1/chat', payload: { message } });

describe('/v1/chat against an OpenAI-compatible upstream', () => {
  let upstream: FakeServer;
  beforeAll(async () => {
    upstream = await startOpenAiServer();
  });
  afterAll(() => upstream.close());

  const keelFor = (fallback: string) =>
    createTestKeel({
      ...openAiEnv(upstream),
      KEEL_LLM_FALLBACK: fallback,
      KEEL_PROVIDER_TIMEOUT_MS: '300',
      KEEL_PROVIDER_RETRIES: '1',
    });

  it('cites what the model cites and reports its usage', async () => {
    Object.assign(upstream.faults, { delayMs: 0, garbage: undefined, failTimes: 0 });
    const keel = await keelFor('extractive');
    const response = await ask(keel, 'How do I roll back a policy?');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      provider: 'openai',
      usage: { inputTokens: 112, outputTokens: 17 },
    });
    const sent = upstream.requests.at(-1)?.body as {
      messages: { role: string; content: string }[];
    };
    expect(sent.messages[0]?.role).toBe('system');
    expect(sent.messages[1]?.content).toContain('[1] policies.md');
    await keel.close();
  });

  it('falls back to the extractive provider when the upstream times out', async () => {
    upstream.faults.delayMs = 2000;
    const keel = await keelFor('extractive');
    const response = await ask(keel, 'How do I roll back a policy?');
    expect(response.statusCode).toBe(200);
    expect(response.json().provider).toBe('extractive');
    upstream.faults.delayMs = 0;
    await keel.close();
  });

  it('does not cache a fallback answer under the primary provider: the next call asks it again', async () => {
    // The first call and its one retry fail; the chain falls back to the extractive provider.
    upstream.faults.failTimes = 2;
    upstream.faults.failStatus = 503;
    const keel = await keelFor('extractive');
    const first = await ask(keel, 'How do I activate a policy?');
    expect(first.json().provider).toBe('extractive');
    const second = await ask(keel, 'How do I activate a policy?');
    expect(second.json().provider).toBe('openai');
    await keel.close();
  });

  it('answers 504 provider_timeout with no fallback, and keeps serving', async () => {
    upstream.faults.delayMs = 2000;
    const keel = await keelFor('none');
    const response = await ask(keel, 'How do I roll back a policy?');
    expect(response.statusCode).toBe(504);
    expect(response.json().error.code).toBe('provider_timeout');
    expect(JSON.stringify(response.json())).not.toContain('sk-test-not-a-real-key');
    upstream.faults.delayMs = 0;
    expect((await keel.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    await keel.close();
  });

  it('answers 502 provider_bad_response when the upstream returns garbage', async () => {
    upstream.faults.garbage = 'not-json';
    const keel = await keelFor('none');
    const response = await ask(keel, 'How do I roll back a policy?');
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('provider_bad_response');
    upstream.faults.garbage = undefined;
    await keel.close();
  });
});
