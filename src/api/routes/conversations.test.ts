import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  type BearerHeaders,
  createApiKey,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';
import { createTestKeel } from '../../../test/helpers/test-keel.js';

type Headers = BearerHeaders;

describe('conversations: chat history per user', () => {
  let fixture: AuthFixture;
  let alice: Headers;
  let bob: Headers;

  const chat = (headers: Headers, payload: Record<string, unknown>) =>
    fixture.app.inject({ method: 'POST', url: '/v1/chat', headers, payload });
  const get = (headers: Headers, url: string) =>
    fixture.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
    alice = fixture.a.user.headers;
    bob = fixture.b.user.headers;
  });
  afterAll(() => fixture.close());

  it('starts a conversation, continues it, and lists it with its messages', async () => {
    const first = await chat(alice, { message: 'How do I roll back a policy?' });
    expect(first.statusCode, first.body).toBe(200);
    const { conversationId } = first.json<{ conversationId: string }>();
    expect(conversationId).toMatch(/^cnv_/);

    const second = await chat(alice, { message: 'And how do I activate one?', conversationId });
    expect(second.json().conversationId).toBe(conversationId);

    const list = await get(alice, '/v1/conversations');
    expect(list.statusCode).toBe(200);
    expect(list.json().conversations[0]).toMatchObject({
      id: conversationId,
      title: 'How do I roll back a policy?',
      messageCount: 4,
    });
    const detail = await get(alice, `/v1/conversations/${conversationId}`);
    expect(detail.statusCode).toBe(200);
    const { messages } = detail.json<{
      messages: { role: string; content: string; decision: unknown }[];
    }>();
    expect(messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(messages[2]?.content).toBe('And how do I activate one?');
    expect(messages[1]?.content).toBe(first.json().answer);
    expect(messages[1]?.decision).toEqual(first.json().decision);
  });

  it('keeps a refused question with the reason, masking personal data', async () => {
    const refused = await chat(alice, { message: 'My card is 4111 1111 1111 1111, store it' });
    expect(refused.statusCode).toBe(422);
    const { conversationId } = refused.json().error.details as { conversationId: string };
    const detail = await get(alice, `/v1/conversations/${conversationId}`);
    const [question, answer] = detail.json().messages as {
      content: string;
      decision: { status: string; reasons: string[] };
    }[];
    expect(question?.content).not.toContain('4111');
    expect(question?.content).toContain('[CARD]');
    expect(answer?.decision.status).toBe('refused');
    expect(answer?.decision.reasons.join(' ')).toMatch(/pii_blocked/);
  });

  it('names the conversation in the streamed done event', async () => {
    const response = await chat(alice, { message: 'What is Keel?', stream: true });
    expect(response.statusCode).toBe(200);
    const done = /event: done\ndata: (.*)\n/.exec(response.body);
    expect(JSON.parse(done![1]!).conversationId).toMatch(/^cnv_/);
  });

  it('pages with a cursor', async () => {
    const page = await get(alice, '/v1/conversations?limit=1');
    const { conversations, nextCursor } = page.json<{
      conversations: { id: string }[];
      nextCursor: string;
    }>();
    expect(conversations).toHaveLength(1);
    const next = await get(alice, `/v1/conversations?limit=1&cursor=${nextCursor}`);
    expect(next.json().conversations[0].id).not.toBe(conversations[0]!.id);
  });

  it('answers 400 for a bad limit or cursor', async () => {
    expect((await get(alice, '/v1/conversations?limit=0')).statusCode).toBe(400);
    const bad = await get(alice, '/v1/conversations?cursor=not-a-cursor');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_cursor');
  });

  it("answers 404 for someone else's conversation, whatever the route", async () => {
    const own = await chat(alice, { message: 'Private question about policies' });
    const id = own.json<{ conversationId: string }>().conversationId;
    expect((await get(bob, `/v1/conversations/${id}`)).statusCode).toBe(404);
    expect((await get(fixture.admin.headers, `/v1/conversations/${id}`)).statusCode).toBe(404);
    const foreignChat = await chat(bob, { message: 'hello', conversationId: id });
    expect(foreignChat.statusCode).toBe(404);
    expect(foreignChat.json().error.code).toBe('conversation_not_found');
    const deleted = await fixture.app.inject({
      method: 'DELETE',
      url: `/v1/conversations/${id}`,
      headers: bob,
    });
    expect(deleted.statusCode).toBe(404);
    expect((await get(bob, '/v1/conversations')).json().conversations).toEqual([]);
    expect((await get(alice, `/v1/conversations/${id}`)).statusCode).toBe(200);
  });

  it('deletes a conversation: 204, then 404', async () => {
    const own = await chat(alice, { message: 'Short-lived question' });
    const id = own.json<{ conversationId: string }>().conversationId;
    const url = `/v1/conversations/${id}`;
    const deleted = await fixture.app.inject({ method: 'DELETE', url, headers: alice });
    expect(deleted.statusCode).toBe(204);
    expect((await get(alice, url)).statusCode).toBe(404);
  });

  it('keeps no history for API keys', async () => {
    const key = await createApiKey(fixture.app, fixture.a.user, ['chat']);
    const answer = await chat(key.headers, { message: 'What is Keel?' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).not.toHaveProperty('conversationId');
    const withId = await chat(key.headers, { message: 'What is Keel?', conversationId: 'cnv_x' });
    expect(withId.statusCode).toBe(400);
    expect((await get(key.headers, '/v1/conversations')).statusCode).toBe(403);
  });
});

describe('conversations with sign-in off', () => {
  it('belong to the local user', async () => {
    const harness = await createTestKeel({ KEEL_AUTH: 'off' }, { bundled: false });
    try {
      const answer = await harness.app.inject({
        method: 'POST',
        url: '/v1/chat',
        payload: { message: 'How do I roll back a policy?' },
      });
      const { conversationId } = answer.json<{ conversationId: string }>();
      const list = await harness.app.inject({ method: 'GET', url: '/v1/conversations' });
      expect(list.json().conversations.map((row: { id: string }) => row.id)).toEqual([
        conversationId,
      ]);
    } finally {
      await harness.close();
    }
  });
});
