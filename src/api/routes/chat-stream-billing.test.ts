import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeOpenAiServer,
  startOpenAiServer,
} from '../../../test/fixtures/providers/openai-server.js';
import { openAiEnv } from '../../../test/helpers/server-mode.js';
import { type TestKeel, createTestKeel } from '../../../test/helpers/test-keel.js';

const LONG_ANSWER = Array.from(
  { length: 30 },
  (_, index) =>
    `Step ${index + 1}: run \`keel policy rollback\` to return to the previous version [1].`,
).join(' ');

describe('a client that leaves mid-stream', () => {
  let upstream: FakeOpenAiServer;
  let keel: TestKeel;
  let url: string;
  beforeAll(async () => {
    upstream = await startOpenAiServer();
    upstream.answer = LONG_ANSWER;
    upstream.faults.chunkIntervalMs = 20;
    keel = await createTestKeel(openAiEnv(upstream));
    url = await keel.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await keel.close();
    await upstream.close();
  });

  const usageToday = async () =>
    (await keel.app.inject({ method: 'GET', url: '/v1/usage' })).json().today as {
      calls: number;
      outputTokens: number;
    };

  it('is billed for the tokens generated before it left', async () => {
    const abort = new AbortController();
    const response = await fetch(`${url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'How do I roll back a policy?', stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    while (!received.includes('event: delta')) received += (await reader.read()).value ?? '';
    abort.abort();
    // The call ends on the server after the client left: wait for its audit record.
    let audits = await keel.keel.store.listAudit({});
    for (let attempt = 0; attempt < 100 && audits.length === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      audits = await keel.keel.store.listAudit({});
    }
    expect(audits[0]?.outputTokens).toBeGreaterThan(0);
    let usage = await usageToday();
    for (let attempt = 0; attempt < 20 && usage.outputTokens === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      usage = await usageToday();
    }
    expect(usage.calls).toBe(1);
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(usage.outputTokens).toBeLessThan(LONG_ANSWER.length / 4);
  });
});
