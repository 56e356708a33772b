import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  bearer,
  createAuthFixture,
  login,
} from '../../../test/helpers/auth-fixtures.js';
import { InviteService } from '../../auth/invites.js';
import { userPrincipal } from '../../auth/principal.js';

const PASSWORD = 'a brand new passphrase of mine';

describe('invitations', () => {
  let fixture: AuthFixture;
  const invite = (headers: { authorization: string }, payload: Record<string, unknown>) =>
    fixture.app.inject({ method: 'POST', url: '/v1/users/invite', headers, payload });
  const accept = (payload: Record<string, unknown>) =>
    fixture.app.inject({ method: 'POST', url: '/v1/auth/accept-invite', payload });

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
  });
  afterAll(() => fixture.close());

  it("creates the account in the inviter's workspace; the token signs the invitee in once", async () => {
    const created = await invite(fixture.a.manager.headers, {
      email: 'new.person@example.com',
      role: 'user',
    });
    expect(created.statusCode, created.body).toBe(201);
    const { user, inviteToken, expiresAt } = created.json<{
      user: { id: string; workspaceId: string };
      inviteToken: string;
      expiresAt: string;
    }>();
    expect(user.workspaceId).toBe(fixture.a.id);
    const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    const weak = await accept({ token: inviteToken, password: 'short' });
    expect(weak.statusCode).toBe(400);

    const accepted = await accept({ token: inviteToken, password: PASSWORD });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(String(accepted.headers['set-cookie'])).toMatch(/keel_refresh=.*HttpOnly/i);
    const me = await fixture.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: bearer(accepted.json<{ accessToken: string }>().accessToken),
    });
    expect(me.json().user).toMatchObject({ id: user.id, email: 'new.person@example.com' });
    await login(fixture.app, 'new.person@example.com', PASSWORD);

    const again = await accept({ token: inviteToken, password: PASSWORD });
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('invalid_invite');
  });

  it('refuses unknown tokens, and an invited account cannot sign in before accepting', async () => {
    const created = await invite(fixture.admin.headers, { email: 'pending@example.com' });
    expect(created.statusCode).toBe(201);
    const signIn = await fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'pending@example.com', password: PASSWORD },
    });
    expect(signIn.statusCode).toBe(401);
    const unknown = await accept({ token: 'keelinv_not-a-real-token', password: PASSWORD });
    expect(unknown.statusCode).toBe(401);
  });

  it('expires after seven days', async () => {
    const { keel } = fixture.harness;
    const invites = new InviteService(keel.accounts, keel.store.accounts, keel.store.invites);
    const admin = userPrincipal(fixture.admin.user, null);
    const { inviteToken } = await invites.invite(admin, {
      email: 'late@example.com',
      role: 'user',
    });
    const eightDaysLater = new Date(Date.now() + 8 * 86_400_000);
    await expect(invites.accept(inviteToken, PASSWORD, eightDaysLater)).rejects.toMatchObject({
      code: 'invalid_invite',
    });
  });

  it('answers 400 for bad bodies, 403 for a manager inviting an admin, 409 for a taken e-mail', async () => {
    expect(
      (await invite(fixture.a.manager.headers, { email: 'x@example.com', role: 'owner' }))
        .statusCode,
    ).toBe(400);
    expect((await invite(fixture.a.manager.headers, { email: 'not-an-address' })).statusCode).toBe(
      400,
    );
    expect((await accept({ token: 'short', password: PASSWORD })).statusCode).toBe(400);
    const admin = await invite(fixture.a.manager.headers, {
      email: 'boss@example.com',
      role: 'admin',
    });
    expect(admin.statusCode).toBe(403);
    const taken = await invite(fixture.a.manager.headers, { email: fixture.b.user.user.email });
    expect(taken.statusCode).toBe(409);
    expect((await invite(fixture.a.user.headers, { email: 'y@example.com' })).statusCode).toBe(403);
  });
});
