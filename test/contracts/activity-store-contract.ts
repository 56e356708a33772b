import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';

const at = (minute: number) => new Date(Date.UTC(2025, 0, 15, 10, minute)).toISOString();

/**
 * The store port's newer parts — conversations, invitations, the audit log's reading view,
 * activation actions and usage series — on every adapter. Runs inside the store contract.
 */
export function describeActivityStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`store contract (history, invites, audit, series): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps conversations per owner, in order, and pages them newest first', async () => {
      const { conversations } = store;
      const first = await conversations.create({
        workspaceId: 'default',
        userId: 'u1',
        title: 'First',
        at: at(0),
      });
      const second = await conversations.create({
        workspaceId: 'default',
        userId: 'u1',
        title: 'Second',
        agent: 'keel-docs',
        at: at(1),
      });
      await conversations.create({ workspaceId: 'default', userId: 'u2', title: 'Theirs' });
      const appended = await conversations.append(
        first.id,
        'u1',
        [
          { role: 'user', content: 'hello' },
          {
            role: 'assistant',
            content: 'hi [1]',
            citations: [{ index: 1, path: 'a.md' }],
            decision: { status: 'redacted', reasons: ['pii_redacted: email address'] },
            agent: 'keel-docs',
            traceId: 't1',
          },
        ],
        at(2),
      );
      expect(appended).toBe(true);
      expect(await conversations.append(first.id, 'u2', [{ role: 'user', content: 'x' }])).toBe(
        false,
      );

      const page = await conversations.list('u1', { limit: 1 });
      expect(page.map((row) => [row.title, row.messageCount, row.updatedAt])).toEqual([
        ['First', 2, at(2)],
      ]);
      const next = await conversations.list('u1', {
        limit: 5,
        after: { updatedAt: page[0]!.updatedAt, id: page[0]!.id },
      });
      expect(next.map((row) => row.id)).toEqual([second.id]);

      const messages = await conversations.messages(first.id, 'u1');
      expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(messages[1]).toMatchObject({
        content: 'hi [1]',
        citations: [{ index: 1, path: 'a.md' }],
        decision: { status: 'redacted' },
        traceId: 't1',
      });
      expect(await conversations.messages(first.id, 'u2')).toEqual([]);
      expect(await conversations.get(first.id, 'u2')).toBeUndefined();

      expect(await conversations.delete(first.id, 'u2')).toBe(false);
      expect(await conversations.delete(first.id, 'u1')).toBe(true);
      expect(await conversations.get(first.id, 'u1')).toBeUndefined();
      expect(await conversations.messages(first.id, 'u1')).toEqual([]);
    });

    it('uses an invitation once', async () => {
      const user = await store.accounts.createUser({
        email: 'invited@example.com',
        passwordHash: 'unusable',
        role: 'user',
        workspaceId: 'default',
      });
      await store.invites.save('hash-1', {
        userId: user.id,
        createdBy: 'admin',
        createdAt: at(0),
        expiresAt: at(30),
      });
      expect(await store.invites.find('hash-1')).toMatchObject({ userId: user.id, usedAt: null });
      const uses = await Promise.all([
        store.invites.use('hash-1', at(1)),
        store.invites.use('hash-1', at(1)),
      ]);
      expect(uses.filter(Boolean)).toHaveLength(1);
      expect((await store.invites.find('hash-1'))?.usedAt).toBe(at(1));
      expect(await store.invites.find('unknown')).toBeUndefined();
    });

    it('filters and pages the audit log, and keeps the actor', async () => {
      const base = {
        policyVersion: 'p1',
        promptVersion: null,
        agent: 'keel-docs',
        provider: null,
        model: null,
        knowledgeVersions: {},
        inputTokens: 0,
        outputTokens: 0,
        latencyMs: 1,
        decision: 'allowed',
        steps: [],
      };
      const sign = (payload: string, previous: string | null) =>
        `${previous ?? 'root'}>${payload.length}`;
      const records = [
        { traceId: 'a', workspaceId: 'w1', createdAt: at(0), kind: 'chat', actor: 'user:a@x.io' },
        { traceId: 'b', workspaceId: 'w2', createdAt: at(1), kind: 'chat', actor: 'local' },
        { traceId: 'c', workspaceId: 'w1', createdAt: at(2), kind: 'chat' },
      ];
      for (const record of records) await store.appendAudit({ ...base, ...record }, sign);

      const all = await store.searchAudit({ limit: 10 });
      expect(all.map((record) => record.traceId)).toEqual(['c', 'b', 'a']);
      expect(all[2]?.actor).toBe('user:a@x.io');
      expect(all[0]).not.toHaveProperty('actor');
      const w1 = await store.searchAudit({ limit: 10, workspaceId: 'w1' });
      expect(w1.map((record) => record.traceId)).toEqual(['c', 'a']);
      expect(
        (await store.searchAudit({ limit: 10, actor: 'local' })).map((r) => r.traceId),
      ).toEqual(['b']);
      expect(
        (await store.searchAudit({ limit: 10, from: at(1), to: at(2) })).map((r) => r.traceId),
      ).toEqual(['b']);
      expect(
        (await store.searchAudit({ limit: 10, beforeId: all[1]!.id })).map((r) => r.traceId),
      ).toEqual(['a']);
      expect(await store.searchAudit({ limit: 10, action: 'embed' })).toEqual([]);
    });

    it('records whether an activation was a rollback', async () => {
      await store.savePolicyVersion({ version: 'v1', files: {}, createdAt: at(0) });
      const activation = {
        workspaceId: 'default',
        version: 'v1',
        previousVersion: null,
        actor: 'cli:me',
        reason: 'test',
        activatedAt: at(0),
      };
      expect((await store.recordActivation(activation)).action).toBe('activate');
      expect((await store.recordActivation({ ...activation, action: 'rollback' })).action).toBe(
        'rollback',
      );
      expect((await store.listActivations('default')).map((row) => row.action)).toEqual([
        'rollback',
        'activate',
      ]);
    });

    it('sums usage per hour or day and per user or workspace', async () => {
      const reserve = async (userId: string, workspaceId: string, createdAt: string) => {
        const result = await store.usage.reserve(
          { workspaceId, userId, apiKeyId: null, traceId: `t-${createdAt}`, createdAt },
          [],
        );
        if (!result.ok) throw new Error('reservation refused');
        return result.id;
      };
      const settle = (id: number, tokens: number) =>
        store.usage.settle(id, {
          provider: 'p',
          model: 'm',
          inputTokens: tokens,
          outputTokens: 1,
          cost: 0.5,
        });
      await settle(await reserve('u1', 'w1', '2025-01-15T10:05:00.000Z'), 10);
      await settle(await reserve('u1', 'w1', '2025-01-15T10:55:00.000Z'), 20);
      await settle(await reserve('u2', 'w1', '2025-01-15T11:05:00.000Z'), 5);
      await store.usage.release(await reserve('u2', 'w1', '2025-01-15T11:06:00.000Z'));
      await settle(await reserve('u3', 'w2', '2025-01-16T09:00:00.000Z'), 7);

      const hourly = await store.usage.series({
        since: '2025-01-15T00:00:00.000Z',
        until: '2025-01-16T00:00:00.000Z',
        bucket: 'hour',
        groupBy: 'user',
      });
      expect(hourly.map((row) => [row.at, row.key, row.calls, row.inputTokens])).toEqual([
        ['2025-01-15T10:00:00.000Z', 'u1', 2, 30],
        ['2025-01-15T11:00:00.000Z', 'u2', 1, 5],
      ]);
      const daily = await store.usage.series({
        since: '2025-01-01T00:00:00.000Z',
        until: '2025-02-01T00:00:00.000Z',
        bucket: 'day',
        groupBy: 'workspace',
      });
      expect(daily.map((row) => [row.at, row.key, row.outputTokens, row.cost])).toEqual([
        ['2025-01-15T00:00:00.000Z', 'w1', 3, 1.5],
        ['2025-01-16T00:00:00.000Z', 'w2', 1, 0.5],
      ]);
      const mine = await store.usage.series({
        userId: 'u3',
        since: '2025-01-01T00:00:00.000Z',
        until: '2025-02-01T00:00:00.000Z',
        bucket: 'day',
        groupBy: 'user',
      });
      expect(mine.map((row) => row.key)).toEqual(['u3']);
    });
  });
}
