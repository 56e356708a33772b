import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  type SignedIn,
  activatePolicyFiles,
  createApiKey,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';
import { expectResumedExactly, openEventStream } from '../../../test/helpers/sse-client.js';

const policiesDir = mkdtempSync(join(tmpdir(), 'keel-realtime-policies-'));
cpSync(resolve('policies'), policiesDir, { recursive: true });

describe('GET /v1/realtime', () => {
  let fixture: AuthFixture;
  let address: string;
  let conversationId: string;

  const follow = (topic: string, as: SignedIn | { headers: Record<string, string> }, extra = {}) =>
    openEventStream(`${address}/v1/realtime?topic=${encodeURIComponent(topic)}`, {
      ...as.headers,
      ...extra,
    });
  const get = (url: string, headers: Record<string, string>) =>
    fixture.app.inject({ method: 'GET', url, headers });
  const chat = async (message: string) => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/v1/chat',
      headers: fixture.a.user.headers,
      payload: { message, conversationId },
    });
    expect(response.statusCode, response.body).toBeLessThan(500);
  };

  beforeAll(async () => {
    fixture = await createAuthFixture({ KEEL_POLICIES_DIR: policiesDir }, { bundled: false });
    const conversation = await fixture.harness.keel.store.conversations.create({
      workspaceId: fixture.a.id,
      userId: fixture.a.user.user.id,
      title: 'Two tabs',
    });
    conversationId = conversation.id;
    address = await fixture.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => fixture.close());

  it('refuses a topic it does not know with a 400', async () => {
    const { headers } = fixture.a.user;
    for (const topic of ['nope', 'job:', 'user:1', 'job:../x', `conversation:${'x'.repeat(200)}`]) {
      const response = await get(`/v1/realtime?topic=${encodeURIComponent(topic)}`, headers);
      expect(response.statusCode, topic).toBe(400);
      expect(response.json().error.code).toBeTypeOf('string');
    }
    const noTopic = await get('/v1/realtime', headers);
    expect(noTopic.statusCode).toBe(400);
    const badResume = await get(`/v1/realtime?topic=conversation:${conversationId}`, {
      ...headers,
      'last-event-id': 'yesterday',
    });
    expect(badResume.statusCode).toBe(400);
  });

  it('lets only the owner follow a conversation, as GET /v1/conversations/{id} does', async () => {
    const url = `/v1/realtime?topic=conversation:${conversationId}`;
    for (const other of [fixture.b.user, fixture.a.manager, fixture.admin]) {
      const object = await get(`/v1/conversations/${conversationId}`, other.headers);
      const stream = await get(url, other.headers);
      expect(object.statusCode).toBe(404);
      expect(stream.statusCode).toBe(404);
      expect(stream.json().error.code).toBe('conversation_not_found');
    }
    const key = await createApiKey(fixture.app, fixture.a.user, ['chat']);
    expect((await get(url, key.headers)).statusCode).toBe(403);
    expect(
      (await get('/v1/realtime?topic=conversation:missing', fixture.a.user.headers)).statusCode,
    ).toBe(404);
  });

  it('shows a message appended in one tab to the other, and resumes exactly after Last-Event-ID', async () => {
    const tab = await follow(`conversation:${conversationId}`, fixture.a.user);
    expect(tab.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await chat('How do I roll back a policy?');
    const [first] = await tab.next(1);
    expect(first).toMatchObject({ event: 'message-appended', data: { conversationId } });
    expect(first!.id).toMatch(/^\d+-\d+$/);
    const messages = first!.data.messages as { role: string; content: string }[];
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(messages[0]!.content).toBe('How do I roll back a policy?');
    await tab.close();

    // Missed while the tab was away.
    await chat('What is a knowledge source?');
    await chat('Where are jobs kept?');
    const back = await follow(`conversation:${conversationId}`, fixture.a.user, {
      'last-event-id': first!.id!,
    });
    await expectResumedExactly(back, ['What is a knowledge source?', 'Where are jobs kept?'], chat);
    await back.close();
  });

  it('follows a job of the caller’s workspace only, starting with its state', async () => {
    const enqueued = await fixture.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: fixture.a.user.headers,
      // Delayed, so the client follows before it runs.
      payload: {
        queue: 'predictions',
        payload: { seriesId: 'missing-series', horizon: 3 },
        delayMs: 1_500,
      },
    });
    expect(enqueued.statusCode, enqueued.body).toBe(202);
    const id = enqueued.json<{ id: string }>().id;
    const url = `/v1/realtime?topic=job:${id}`;
    expect((await get(url, fixture.b.user.headers)).statusCode).toBe(404);
    expect((await get(`/v1/jobs/${id}`, fixture.b.user.headers)).statusCode).toBe(404);
    expect(
      (await get('/v1/realtime?topic=job:job_missing', fixture.a.user.headers)).statusCode,
    ).toBe(404);

    const stream = await follow(`job:${id}`, fixture.admin);
    const [state] = await stream.next(1);
    expect(state).toMatchObject({
      event: 'job-updated',
      id: undefined,
      data: { job: { id, state: 'queued' } },
    });
    // The job runs on the worker and settles (a missing series is a dead job at once).
    for (;;) {
      const [event] = await stream.next(1, 10_000);
      expect(event!.id).toMatch(/^\d+-\d+$/);
      const job = event!.data.job as { state: string } | undefined;
      if (job && ['completed', 'dead'].includes(job.state)) break;
    }
    await stream.close();
  });

  it('announces agent updates to anyone who may chat when a policy version changes the agent', async () => {
    const agentFile = join(policiesDir, 'agents', 'general.yaml');
    expect(
      (await get('/v1/realtime?topic=agent:no-such-agent', fixture.a.user.headers)).statusCode,
    ).toBe(404);
    const readKey = await createApiKey(fixture.app, fixture.a.user, ['kb:read']);
    expect((await get('/v1/realtime?topic=agent:general', readKey.headers)).statusCode).toBe(403);

    const stream = await follow('agent:general', fixture.b.user);
    const edited = readFileSync(agentFile, 'utf8').replace(
      /^description: .*$/m,
      'description: Answers from every source (edited while a client follows the agent).',
    );
    writeFileSync(agentFile, edited);
    const activated = await activatePolicyFiles(fixture.app, fixture.admin, 'agent edited');
    const [event] = await stream.next(1);
    expect(event).toMatchObject({
      event: 'agent-updated',
      data: { agentId: 'general', change: 'changed', action: 'activate' },
    });
    expect(event!.data.policyVersion).toBe(activated.version);
    await stream.close();
  });
});
