import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  type BearerHeaders,
  createApiKey,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';

interface MemoryView {
  id: string;
  kind: string;
  text: string;
}

/*
 * Long-term memory end to end in one process on SQLite: a chat's statements are extracted by the
 * `memory` job, recalled by relevance in a later chat, listed, deleted and switched off by their
 * owner, and unreachable for anyone else.
 */
describe('long-term memory over HTTP (single process, SQLite)', () => {
  let fixture: AuthFixture;
  let alice: BearerHeaders;

  const chat = (headers: BearerHeaders, message: string, extra: Record<string, unknown> = {}) =>
    fixture.app.inject({
      method: 'POST',
      url: '/v1/chat',
      headers,
      payload: { message, ...extra },
    });
  const memoriesOf = async (headers: BearerHeaders): Promise<MemoryView[]> => {
    const response = await fixture.app.inject({ method: 'GET', url: '/v1/memories', headers });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().memories;
  };
  /** The memory job runs in the background; wait (bounded) until it has stored `count`. */
  const memoriesOnceStored = async (headers: BearerHeaders, count: number) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const memories = await memoriesOf(headers);
      if (memories.length >= count || Date.now() > deadline) return memories;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const memoryStep = async (traceId: string) => {
    const [record] = await fixture.harness.keel.store.listAudit({ traceId });
    return record?.steps.find((step) => step.id === 'memory');
  };

  beforeAll(async () => {
    fixture = await createAuthFixture();
    alice = fixture.a.user.headers;
  }, 120_000);
  afterAll(() => fixture?.close());

  it('remembers what a user says and recalls only what bears on a later question', async () => {
    const first = await chat(
      alice,
      'I work at Acme Shipping. I prefer short bullet lists. How do I roll back a policy?',
    );
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().memories).toEqual([]);

    const stored = await memoriesOnceStored(alice, 2);
    expect(stored.map((memory) => [memory.kind, memory.text]).sort()).toEqual([
      ['fact', 'I work at Acme Shipping.'],
      ['preference', 'I prefer short bullet lists.'],
    ]);

    const later = await chat(alice, 'Which shipping settings does Keel have for a policy?');
    expect(later.statusCode, later.body).toBe(200);
    const acme = stored.find((memory) => memory.text.includes('Acme'))!;
    expect(later.json().memories).toEqual([{ id: acme.id, kind: 'fact', text: acme.text }]);
    // The audit record names the memory used, never its text.
    const step = await memoryStep(later.json().traceId);
    expect(step).toMatchObject({ decision: '1 of 2 memories', reasons: [acme.id] });
    expect(JSON.stringify(step)).not.toContain('Acme');

    const streamed = await chat(alice, 'Can I get bullet lists of policy versions?', {
      stream: true,
    });
    const done = /event: done\ndata: (.*)\n/.exec(streamed.body)?.[1];
    expect(JSON.parse(done!).memories.map((memory: MemoryView) => memory.text)).toEqual([
      'I prefer short bullet lists.',
    ]);
  });

  it('keeps memories per user and workspace: nobody else lists, uses or deletes them', async () => {
    const mine = await memoriesOnceStored(alice, 2);
    for (const other of [fixture.b.user, fixture.a.manager, fixture.admin]) {
      expect(await memoriesOf(other.headers)).toEqual([]);
      const deleted = await fixture.app.inject({
        method: 'DELETE',
        url: `/v1/memories/${mine[0]!.id}`,
        headers: other.headers,
      });
      expect(deleted.statusCode).toBe(404);
      expect(deleted.json().error.code).toBe('memory_not_found');
      const answer = await chat(other.headers, 'Which shipping settings does Keel have?');
      expect(answer.json().memories).toEqual([]);
    }
    const key = await createApiKey(fixture.app, fixture.a.user, ['chat']);
    const byKey = await fixture.app.inject({
      method: 'GET',
      url: '/v1/memories',
      headers: key.headers,
    });
    expect(byKey.statusCode).toBe(403);
    // An API key acts for an integration: its chats neither use nor make memories.
    const keyAnswer = await chat(key.headers, 'Which shipping settings does Keel have?');
    expect(keyAnswer.json().memories).toEqual([]);
    expect(await memoriesOf(alice)).toHaveLength(2);
  });

  it('refuses to remember a card number: the turn is refused and nothing is stored', async () => {
    const bob = fixture.b.user.headers;
    const refused = await chat(bob, 'I live in Lisbon and my card is 4111 1111 1111 1111.');
    expect(refused.statusCode).toBe(422);
    await chat(bob, 'I manage the Porto office. What is a policy?');
    const stored = await memoriesOnceStored(bob, 1);
    expect(stored.map((memory) => memory.text)).toEqual(['I manage the Porto office.']);
  });

  it('forgets a deleted memory for good, and uses none once the user turns memory off', async () => {
    const stored = await memoriesOf(alice);
    const acmeMemory = stored.find((memory) => memory.text.includes('Acme'))!;
    const deleted = await fixture.app.inject({
      method: 'DELETE',
      url: `/v1/memories/${acmeMemory.id}`,
      headers: alice,
    });
    expect(deleted.statusCode).toBe(204);
    expect((await memoriesOf(alice)).map((memory) => memory.text)).toEqual([
      'I prefer short bullet lists.',
    ]);
    // Saying it again in a new chat is a new statement: it is learned again only if said again.
    const after = await chat(alice, 'Which shipping settings does Keel have for a policy?');
    expect(after.json().memories).toEqual([]);

    const off = await fixture.app.inject({
      method: 'PUT',
      url: '/v1/memories/settings',
      headers: alice,
      payload: { enabled: false },
    });
    expect(off.json()).toEqual({ enabled: false });
    const unused = await chat(alice, 'Show bullet lists of policy versions. I live in Oslo.');
    expect(unused.json().memories).toEqual([]);
    expect(await memoryStep(unused.json().traceId)).toMatchObject({
      decision: 'off',
      reasons: ['user setting'],
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await memoriesOf(alice)).map((memory) => memory.text)).toEqual([
      'I prefer short bullet lists.',
    ]);
    const bad = await fixture.app.inject({
      method: 'PUT',
      url: '/v1/memories/settings',
      headers: alice,
      payload: { enabled: 'nope' },
    });
    expect(bad.statusCode).toBe(400);

    const cleared = await fixture.app.inject({
      method: 'DELETE',
      url: '/v1/memories',
      headers: alice,
    });
    expect(cleared.json()).toEqual({ deleted: 1 });
    expect(await memoriesOf(alice)).toEqual([]);
  });
});
