import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';

/** The accounts and usage parts of the store port; every adapter must pass it unchanged. */
export function describeAccountStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`account and usage store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    it('has a default workspace; users are found by e-mail case-insensitively and never expose hashes in lists', async () => {
      expect((await store.accounts.getWorkspace('default'))?.name).toBe('Default');
      const team = await store.accounts.createWorkspace('Team');
      const user = await store.accounts.createUser({
        email: 'Ada@Example.com',
        passwordHash: 'h',
        role: 'manager',
        workspaceId: team.id,
      });
      expect(user).not.toHaveProperty('passwordHash');
      expect((await store.accounts.findUserByEmail('ada@example.COM'))?.passwordHash).toBe('h');
      await expect(
        store.accounts.createUser({
          email: 'ada@example.com',
          passwordHash: 'x',
          role: 'user',
          workspaceId: 'default',
        }),
      ).rejects.toThrow();
      expect(await store.accounts.listUsers(team.id)).toHaveLength(1);
      expect(await store.accounts.listUsers('default')).toHaveLength(0);
      await store.accounts.updateUser(user.id, { disabledAt: '2026-01-01T00:00:00Z' });
      expect((await store.accounts.getUser(user.id))?.disabledAt).toBe('2026-01-01T00:00:00Z');
      expect(await store.accounts.countUsers()).toBe(1);
    });

    it('creates a user while taking a setting in one step: of concurrent calls exactly one wins', async () => {
      await store.accounts.setSetting('setup_token_hash', 'token-hash');
      const attempt = (email: string) =>
        store.accounts.createUserTakingSetting('setup_token_hash', 'token-hash', {
          email,
          passwordHash: 'h',
          role: 'admin',
          workspaceId: 'default',
        });
      const results = await Promise.all(['a@b.co', 'c@d.co', 'e@f.co'].map(attempt));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.accounts.countUsers()).toBe(1);
      expect(await store.accounts.getSetting('setup_token_hash')).toBeUndefined();
      await store.accounts.setSetting('other', 'x');
      expect(
        await store.accounts.createUserTakingSetting('other', 'not-x', {
          email: 'g@h.co',
          passwordHash: 'h',
          role: 'user',
          workspaceId: 'default',
        }),
      ).toBeUndefined();
      expect(await store.accounts.getSetting('other')).toBe('x');
    });

    it('uses a refresh token once only, and revokes sessions', async () => {
      const user = await store.accounts.createUser({
        email: 'a@b.co',
        passwordHash: 'h',
        role: 'user',
        workspaceId: 'default',
      });
      const session = await store.accounts.createSession(user.id, '2099-01-01T00:00:00Z');
      await store.accounts.saveRefreshToken('hash-1', session.id, '2099-01-01T00:00:00Z');
      const uses = await Promise.all(
        [1, 2, 3].map(() => store.accounts.useRefreshToken('hash-1', new Date().toISOString())),
      );
      expect(uses.filter(Boolean)).toHaveLength(1);
      expect((await store.accounts.findRefreshToken('hash-1'))?.usedAt).not.toBeNull();
      expect(await store.accounts.revokeUserSessions(user.id, 'logout')).toBe(1);
      expect((await store.accounts.getSession(session.id))?.revokedAt).not.toBeNull();
    });

    it('rotates a refresh token once: the loser of a concurrent rotation saves no successor', async () => {
      const user = await store.accounts.createUser({
        email: 'rot@b.co',
        passwordHash: 'h',
        role: 'user',
        workspaceId: 'default',
      });
      const session = await store.accounts.createSession(user.id, '2099-01-01T00:00:00Z');
      await store.accounts.saveRefreshToken('old', session.id, '2099-01-01T00:00:00Z');
      const rotate = (successor: string) =>
        store.accounts.rotateRefreshToken('old', new Date().toISOString(), `salt-${successor}`, {
          tokenHash: successor,
          sessionId: session.id,
          expiresAt: '2099-01-01T00:00:00Z',
        });
      const results = await Promise.all(['next-1', 'next-2', 'next-3'].map(rotate));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = `next-${results.indexOf(true) + 1}`;
      const old = await store.accounts.findRefreshToken('old');
      expect(old?.usedAt).not.toBeNull();
      expect(old?.successorSalt).toBe(`salt-${winner}`);
      expect(await store.accounts.findRefreshToken(winner)).toMatchObject({ usedAt: null });
      for (const loser of ['next-1', 'next-2', 'next-3'].filter((name) => name !== winner)) {
        expect(await store.accounts.findRefreshToken(loser)).toBeUndefined();
      }
    });

    it('stores API keys hashed, by prefix, and revokes them', async () => {
      const user = await store.accounts.createUser({
        email: 'k@b.co',
        passwordHash: 'h',
        role: 'user',
        workspaceId: 'default',
      });
      const key = await store.accounts.createApiKey({
        id: 'key_1',
        userId: user.id,
        workspaceId: 'default',
        name: 'ci',
        prefix: 'abcd1234',
        keyHash: 'kh',
        scopes: ['chat'],
        expiresAt: null,
      });
      expect(key).not.toHaveProperty('keyHash');
      const found = await store.accounts.findApiKeyByPrefix('abcd1234');
      expect(found?.keyHash).toBe('kh');
      // Its owner comes with it, as getUser would read them, without the password hash.
      expect(found?.owner).toEqual(await store.accounts.getUser(user.id));
      expect(found?.owner).not.toHaveProperty('passwordHash');
      expect(await store.accounts.findApiKeyByPrefix('nope0000')).toBeUndefined();
      await store.accounts.revokeApiKey(key.id, '2026-01-01T00:00:00Z');
      expect((await store.accounts.getApiKey(key.id))?.revokedAt).toBe('2026-01-01T00:00:00Z');
      expect(await store.accounts.listApiKeys({ userId: user.id })).toHaveLength(1);
    });

    it('reserves exactly N calls of a quota of N under 50 concurrent callers', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const limits = [
        {
          scope: 'user' as const,
          period: 'day' as const,
          metric: 'calls' as const,
          limit: 7,
          since,
        },
      ];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          store.usage.reserve(
            {
              workspaceId: 'default',
              userId: 'u1',
              apiKeyId: null,
              traceId: `t${index}`,
              createdAt: new Date().toISOString(),
            },
            limits,
          ),
        ),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(7);
      const refused = results.find((result) => !result.ok);
      expect(refused).toMatchObject({
        ok: false,
        used: 7,
        exceeded: { metric: 'calls', limit: 7 },
      });
    });

    it('counts a released call no more, and a settled call with its tokens', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const limits = [
        { scope: 'user' as const, period: 'day' as const, metric: 'calls' as const, limit: 2 },
        {
          scope: 'workspace' as const,
          period: 'day' as const,
          metric: 'tokens' as const,
          limit: 30,
        },
      ].map((limit) => ({ ...limit, since: `${today}T00:00:00.000Z` }));
      const reserve = () =>
        store.usage.reserve(
          {
            workspaceId: 'ws-days',
            userId: 'u-days',
            apiKeyId: null,
            traceId: 't',
            createdAt: new Date().toISOString(),
          },
          limits,
        );
      const first = await reserve();
      const second = await reserve();
      if (!first.ok || !second.ok) throw new Error('reservation refused');
      expect(await reserve()).toMatchObject({ ok: false, used: 2, exceeded: { metric: 'calls' } });
      await store.usage.release(second.id);
      const third = await reserve();
      if (!third.ok) throw new Error('a released call still counted');
      const usage = { provider: 'p', model: 'm', inputTokens: 20, outputTokens: 10, cost: 0 };
      await store.usage.settle(first.id, usage);
      await store.usage.release(third.id);
      // Settling the same call again changes no total.
      await store.usage.settle(first.id, usage);
      expect(await reserve()).toMatchObject({
        ok: false,
        used: 30,
        exceeded: { scope: 'workspace', metric: 'tokens' },
      });
    });

    it('settles and releases reservations; totals and daily series add up', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const reserve = (userId: string) =>
        store.usage.reserve(
          {
            workspaceId: 'default',
            userId,
            apiKeyId: null,
            traceId: 't',
            createdAt: new Date().toISOString(),
          },
          [],
        );
      const first = await reserve('u1');
      const second = await reserve('u2');
      const third = await reserve('u1');
      if (!first.ok || !second.ok || !third.ok) throw new Error('reservation refused');
      await store.usage.settle(first.id, {
        provider: 'p',
        model: 'm',
        inputTokens: 10,
        outputTokens: 5,
        cost: 0.5,
      });
      await store.usage.settle(second.id, {
        provider: 'p',
        model: 'm',
        inputTokens: 1,
        outputTokens: 1,
        cost: 0,
      });
      await store.usage.release(third.id);
      expect(await store.usage.totals({ userId: 'u1', since })).toEqual({
        calls: 1,
        inputTokens: 10,
        outputTokens: 5,
        cost: 0.5,
      });
      expect(await store.usage.totals({ workspaceId: 'default', since })).toMatchObject({
        calls: 2,
        inputTokens: 11,
      });
      const tokenLimit = [
        {
          scope: 'user' as const,
          period: 'day' as const,
          metric: 'tokens' as const,
          limit: 15,
          since,
        },
      ];
      expect(
        await store.usage.reserve(
          {
            workspaceId: 'default',
            userId: 'u1',
            apiKeyId: null,
            traceId: 't',
            createdAt: new Date().toISOString(),
          },
          tokenLimit,
        ),
      ).toMatchObject({ ok: false, used: 15 });
      // The first limit reached is named, with its own total: here the workspace's cost.
      const mixed = [
        {
          scope: 'user' as const,
          period: 'day' as const,
          metric: 'calls' as const,
          limit: 99,
          since,
        },
        {
          scope: 'workspace' as const,
          period: 'month' as const,
          metric: 'cost' as const,
          limit: 0.5,
          since,
        },
      ];
      const refused = await store.usage.reserve(
        {
          workspaceId: 'default',
          userId: 'u3',
          apiKeyId: null,
          traceId: 't-cost',
          createdAt: new Date().toISOString(),
        },
        mixed,
      );
      expect(refused).toMatchObject({
        ok: false,
        exceeded: { metric: 'cost', scope: 'workspace' },
      });
      expect(refused.ok === false && refused.used).toBeGreaterThanOrEqual(0.5);
      const days = await store.usage.daily({ workspaceId: 'default', since });
      expect(days.map((day) => day.userId).sort()).toEqual(['u1', 'u2']);
    });
  });
}
