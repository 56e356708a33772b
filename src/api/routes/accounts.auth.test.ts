import { afterEach, describe, expect, it } from 'vitest';
import { AUTH_ENV, bearer, newPassword, setUpAdmin } from '../../../test/helpers/auth-fixtures.js';
import { type TestKeel, createTestKeel } from '../../../test/helpers/test-keel.js';

describe('account rules', () => {
  let harness: TestKeel | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  const start = async (env: Record<string, string> = {}) => {
    harness = await createTestKeel({ ...AUTH_ENV, ...env }, { bundled: false });
    return harness;
  };

  it('keeps registration closed by default; when open, registrants join the default workspace as users', async () => {
    const closed = await start();
    await setUpAdmin(closed);
    const refused = await closed.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'x@example.com', password: newPassword() },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('registration_closed');
    await closed.close();

    const open = await start({ KEEL_OPEN_REGISTRATION: 'true' });
    const early = await open.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'x@example.com', password: newPassword() },
    });
    expect(early.json().error.code).toBe('setup_required');
    await setUpAdmin(open);
    const registered = await open.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'x@example.com', password: newPassword() },
    });
    expect(registered.statusCode).toBe(201);
    expect(registered.json()).toMatchObject({ role: 'user', workspaceId: 'default' });
    const weak = await open.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'y@example.com', password: 'password1' },
    });
    expect(weak.json().error.code).toBe('password_weak');
    const guessable = await open.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'z@example.com', password: 'Password123!' },
    });
    expect(guessable.statusCode).toBe(400);
    expect(guessable.json().error).toMatchObject({
      code: 'password_weak',
      details: { field: 'password' },
    });
    expect(guessable.json().error.message).toMatch(
      /^The password is too easy to guess: This is similar to a commonly used password\./,
    );
  });

  it('makes exactly one first admin from two concurrent setup requests; the other gets 409', async () => {
    const keel = await start();
    const setupToken = await keel.keel.accounts.issueSetupToken();
    const setup = (email: string) =>
      keel.app.inject({
        method: 'POST',
        url: '/v1/auth/setup',
        payload: { setupToken, email, password: newPassword() },
      });
    const responses = await Promise.all([setup('one@example.com'), setup('two@example.com')]);
    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 409]);
    const refused = responses.find((response) => response.statusCode === 409)!;
    expect(refused.json().error).toMatchObject({ code: 'setup_done', message: expect.any(String) });
    expect(await keel.keel.store.accounts.countUsers()).toBe(1);
    const again = await setup('three@example.com');
    expect(again.statusCode).toBe(401);
  });

  it('never leaves Keel without an enabled admin', async () => {
    const keel = await start();
    const admin = await setUpAdmin(keel);
    const demote = await keel.app.inject({
      method: 'PATCH',
      url: `/v1/users/${admin.user.id}`,
      headers: admin.headers,
      payload: { role: 'user' },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe('last_admin');
    const second = await keel.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: admin.headers,
      payload: { email: 'two@example.com', password: newPassword(), role: 'admin' },
    });
    expect(second.statusCode).toBe(201);
    const demoteNow = await keel.app.inject({
      method: 'PATCH',
      url: `/v1/users/${second.json().id}`,
      headers: admin.headers,
      payload: { role: 'manager' },
    });
    expect(demoteNow.json()).toMatchObject({ role: 'manager' });
  });

  it('lets managers add only public https repositories', async () => {
    const keel = await start();
    const admin = await setUpAdmin(keel);
    await keel.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: admin.headers,
      payload: { email: 'm@example.com', password: 'manager pass phrase', role: 'manager' },
    });
    const login = await keel.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'm@example.com', password: 'manager pass phrase' },
    });
    const manager = bearer(login.json().accessToken);
    const add = (location: string, name: string) =>
      keel.app.inject({
        method: 'POST',
        url: '/v1/kb/sources',
        headers: manager,
        payload: { name, kind: 'git', location },
      });
    for (const location of [
      'http://github.com/a/b.git',
      'https://127.0.0.1/a.git',
      'https://10.1.2.3/a.git',
      'https://[::1]/a.git',
      'https://localhost/a.git',
      'https://intranet/a.git',
      'file:///srv/repo',
      '/srv/repo',
    ]) {
      const response = await add(location, `r${Math.random().toString(36).slice(2, 8)}`);
      expect(response.statusCode, location).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, location).toBeLessThan(500);
    }
    expect((await add('https://github.com/example/docs.git', 'docs')).statusCode).toBe(201);
  });

  it('accepts a caller’s request id twice: audit trace ids need not be unique', async () => {
    const keel = await start({ KEEL_AUTH: 'off' });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await keel.app.inject({
        method: 'POST',
        url: '/v1/chat',
        headers: { 'x-request-id': 'client-retry-1' },
        payload: { message: 'hello there' },
      });
      expect(response.statusCode).toBe(200);
    }
    expect(await keel.keel.store.listAudit({ traceId: 'client-retry-1' })).toHaveLength(2);
  });

  it('changes a password: the old one stops working and every session ends', async () => {
    const keel = await start();
    const admin = await setUpAdmin(keel);
    const wrong = await keel.app.inject({
      method: 'POST',
      url: '/v1/auth/password',
      headers: admin.headers,
      payload: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' },
    });
    expect(wrong.statusCode).toBe(401);
    const changed = await keel.app.inject({
      method: 'POST',
      url: '/v1/auth/password',
      headers: admin.headers,
      payload: { currentPassword: admin.password, newPassword: 'a brand new passphrase' },
    });
    expect(changed.statusCode).toBe(204);
    expect(
      (await keel.app.inject({ method: 'GET', url: '/v1/me', headers: admin.headers })).statusCode,
    ).toBe(401);
    const oldLogin = await keel.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: admin.user.email, password: admin.password },
    });
    expect(oldLogin.statusCode).toBe(401);
    const newLogin = await keel.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: admin.user.email, password: 'a brand new passphrase' },
    });
    expect(newLogin.statusCode).toBe(200);
  });

  it('counts clients behind a trusted proxy by their forwarded address', async () => {
    const keel = await start({ KEEL_TRUST_PROXY: '127.0.0.1', KEEL_RATE_LIMIT_AUTH: '2' });
    const attempt = (client: string) =>
      keel.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': client },
        payload: { email: 'nobody@example.com', password: 'whatever it is' },
      });
    expect((await attempt('203.0.113.1')).statusCode).toBe(401);
    expect((await attempt('203.0.113.1')).statusCode).toBe(401);
    expect((await attempt('203.0.113.1')).statusCode).toBe(429);
    expect((await attempt('203.0.113.2')).statusCode).toBe(401);
  });
});
