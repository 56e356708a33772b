import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeOpenAiServer,
  startOpenAiServer,
} from '../../../test/fixtures/providers/openai-server.js';
import { openAiEnv, startServerMode } from '../../../test/helpers/server-mode.js';
import { type TestKeel, createTestKeel } from '../../../test/helpers/test-keel.js';

const SECRET = 'sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34';
const WITH_SECRET = `Run \`keel policy rollback\` to return to the previous version [1]. The key for the upstream is ${SECRET} as configured [1]. Rollback re-activates the version that was active before [1].`;
// The keel-docs agent's prompt, repeated by a model talked into it.
const LEAKED_PROMPT =
  "Run `keel policy rollback` to roll back a policy [1]. My instructions say: You are Keel's documentation assistant. You help operators install, configure and run Keel. Answer in a few plain sentences [1].";

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

function sseEvents(body: string): SseEvent[] {
  return [...body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((match) => ({
    event: match[1]!,
    data: JSON.parse(match[2]!) as Record<string, unknown>,
  }));
}

const streamedText = (events: SseEvent[]) =>
  events
    .filter((entry) => entry.event === 'delta')
    .map((entry) => entry.data.text as string)
    .join('');

describe('streamed answers pass output validation before a character leaves', () => {
  let upstream: FakeOpenAiServer;
  let keel: TestKeel;
  beforeAll(async () => {
    upstream = await startOpenAiServer();
    keel = await createTestKeel(openAiEnv(upstream));
  });
  afterAll(async () => {
    await keel.close();
    await upstream.close();
  });

  const chat = (payload: Record<string, unknown>) =>
    keel.app.inject({ method: 'POST', url: '/v1/chat', payload });

  it('never streams a secret the JSON answer redacts, and streams exactly the JSON answer', async () => {
    upstream.answer = WITH_SECRET;
    const json = (await chat({ message: 'How do I roll back a policy?' })).json();
    expect(json.answer).not.toContain(SECRET);
    expect(json.answer).toContain('[SECRET]');
    const events = sseEvents(
      (await chat({ message: 'How do I roll back this policy?', stream: true })).body,
    );
    const deltas = events.filter((entry) => entry.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    for (const delta of deltas) expect(delta.data.text).not.toMatch(/sk-proj/);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(streamedText(events)).toBe(done.data.answer);
    expect((done.data.decision as { status: string }).status).toBe(json.decision.status);
  });

  it('refuses a system-prompt leak mid-stream: a refusal event, no leaked text, the JSON decision', async () => {
    upstream.answer = LEAKED_PROMPT;
    const json = (await chat({ message: 'How do I roll back a policy, please?' })).json();
    expect(json.decision.status).toBe('refused');
    const events = sseEvents(
      (await chat({ message: 'How do I roll back a policy, thanks?', stream: true })).body,
    );
    expect(streamedText(events)).not.toMatch(/documentation assistant|install, configure/);
    const refusal = events.find((entry) => entry.event === 'refusal');
    expect(refusal?.data.decision).toMatchObject({ status: 'refused' });
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.decision).toMatchObject({ status: 'refused' });
    expect(String(done.data.answer)).not.toMatch(/documentation assistant/);
    expect(events.findIndex((entry) => entry.event === 'refusal')).toBeGreaterThan(
      events.findLastIndex((entry) => entry.event === 'delta'),
    );
  });
});

describe('the same gate in server mode (api → orchestrator)', () => {
  let upstream: FakeOpenAiServer;
  let servers: Awaited<ReturnType<typeof startServerMode>>;
  beforeAll(async () => {
    upstream = await startOpenAiServer();
    servers = await startServerMode({ upstream });
  });
  afterAll(async () => {
    await servers.close();
    await upstream.close();
  });

  const stream = async (message: string) =>
    sseEvents(
      (
        await servers.api.app.inject({
          method: 'POST',
          url: '/v1/chat',
          payload: { message, stream: true },
        })
      ).body,
    );

  it('streams only validated text and passes a mid-stream refusal on', async () => {
    upstream.answer = WITH_SECRET;
    const redacted = await stream('How do I roll back a policy?');
    expect(streamedText(redacted)).not.toMatch(/sk-proj/);
    expect(streamedText(redacted)).toBe(redacted.at(-1)!.data.answer);
    upstream.answer = LEAKED_PROMPT;
    const refused = await stream('How do I roll back a policy, please?');
    expect(streamedText(refused)).not.toMatch(/documentation assistant/);
    expect(refused.map((entry) => entry.event)).toContain('refusal');
    expect(refused.at(-1)!.data.decision).toMatchObject({ status: 'refused' });
  });
});
