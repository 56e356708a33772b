import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeOpenAiServer,
  startOpenAiServer,
} from '../../test/fixtures/providers/openai-server.js';
import { startServerMode } from '../../test/helpers/server-mode.js';

/** The API's limit here: a stream may run longer in all, but never fall silent this long. */
const IDLE_LIMIT_MS = 1_500;

// 8 sentences of 11 word-sized chunks, one every 40 ms: about 3.5 s in all, a sentence (what
// output validation lets through at once) every 0.45 s.
const LONG_ANSWER = Array.from(
  { length: 8 },
  (_, index) =>
    `Step ${index + 1}: run \`keel policy rollback\` to return to the previous version [1].`,
).join(' ');

const events = (body: string) =>
  [...body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((match) => ({
    event: match[1]!,
    data: JSON.parse(match[2]!) as Record<string, unknown>,
  }));

describe('server-mode streams end when silent, not after a fixed total', () => {
  let upstream: FakeOpenAiServer;
  let servers: Awaited<ReturnType<typeof startServerMode>>;

  beforeAll(async () => {
    upstream = await startOpenAiServer();
    upstream.answer = LONG_ANSWER;
    servers = await startServerMode({
      upstream,
      apiEnv: { KEEL_ORCHESTRATOR_TIMEOUT_MS: String(IDLE_LIMIT_MS) },
    });
  }, 60_000);
  afterAll(async () => {
    await servers?.close();
    await upstream?.close();
  });

  const streamedChat = (message: string) =>
    servers.api.app.inject({ method: 'POST', url: '/v1/chat', payload: { message, stream: true } });

  it('streams a live answer for longer than the limit to its end', async () => {
    upstream.faults.chunkIntervalMs = 40;
    const started = Date.now();
    const streamed = events((await streamedChat('How do I roll back a policy?')).body);
    expect(Date.now() - started).toBeGreaterThan(IDLE_LIMIT_MS);
    expect(streamed.map((entry) => entry.event)).not.toContain('error');
    const done = streamed.find((entry) => entry.event === 'done');
    expect(done?.data.answer).toBe(LONG_ANSWER);
    const text = streamed
      .filter((entry) => entry.event === 'delta')
      .map((entry) => entry.data.text)
      .join('');
    expect(text).toBe(LONG_ANSWER);
  }, 30_000);

  it('ends a stream that falls silent for the limit with orchestrator_unavailable', async () => {
    upstream.faults.chunkIntervalMs = 0;
    upstream.faults.stallAfterFirstChunkMs = IDLE_LIMIT_MS * 3;
    // Silent before the first sentence passed validation: still an ordinary JSON error.
    // (Another question: the first one's answer is cached now.)
    const response = await streamedChat('Which command rolls back a policy version?');
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatchObject({
      code: 'orchestrator_unavailable',
      message: expect.stringMatching(/fell silent for 1500 ms/),
    });
    delete upstream.faults.stallAfterFirstChunkMs;
  }, 30_000);
});
