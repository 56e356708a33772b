import { createHmac, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyJwk, loadSigningKeys } from '../../auth/signing-keys.js';
import type { SigningKeys } from '../../auth/signing-keys.js';
import { type TokenServiceOptions, createTokenService } from '../../auth/tokens.js';
import {
  type AuthFixture,
  type BearerHeaders,
  type SignedIn,
  bearer,
  createApiKey,
  createAuthFixture,
  createUser,
  login,
} from '../../../test/helpers/auth-fixtures.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A Set-Cookie header's value for `name`, and the attributes that came with it. */
function cookieFrom(setCookie: string | string[] | undefined, name: string) {
  const line = [setCookie ?? []].flat().find((entry) => entry.startsWith(`${name}=`));
  if (!line) return undefined;
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  return { value: pair.slice(name.length + 1), attributes };
}

/**
 * Forged and misused credentials over HTTP. Each forgery has a control: the same claims signed
 * properly with the server's own key are accepted, so a refusal is down to the one thing the
 * attack changed, not to a broken test token.
 */
describe('token attacks over HTTP', () => {
  let fixture: AuthFixture;
  let keys: SigningKeys;
  /** A live session of workspace A's user, and the claims of its access token. */
  let victim: SignedIn;
  let claims: ReturnType<typeof decodeJwt>;

  const me = (headers: BearerHeaders | Record<string, never> = {}) =>
    fixture.app.inject({ method: 'GET', url: '/v1/me', headers });
  const refresh = (refreshToken: string) =>
    fixture.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });

  async function expectRefused(token: string, code = 'invalid_token') {
    const response = await me(bearer(token));
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json().error.code).toBe(code);
    return response.json().error.message as string;
  }

  /** A token service over the server's own keys, with any option changed. */
  const serverTokens = (options: Partial<TokenServiceOptions> = {}) =>
    createTokenService({ keys, issuer: 'keel', audience: 'keel-api', ...options });
  const victimSubject = () => ({
    userId: victim.user.id,
    workspaceId: victim.user.workspaceId,
    role: victim.user.role,
    sessionId: String(claims.sid),
  });
  const signedProperly = (payload: Record<string, unknown>) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.signingKey.kid, typ: 'JWT' })
      .sign(keys.signingKey.privateKey);

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
    // Development generates the signing keys into the data folder; this reads the same ones.
    keys = await loadSigningKeys({ file: join(fixture.harness.dataDir, 'jwt-keys.json') });
    victim = fixture.a.user;
    claims = decodeJwt(victim.accessToken);
  });
  afterAll(() => fixture.close());

  it('control: the same claims, properly signed with the server key, are accepted', async () => {
    const response = await me(bearer(await signedProperly({ ...claims })));
    expect(response.statusCode).toBe(200);
    expect(response.json().user.id).toBe(victim.user.id);
    const issued = await serverTokens().issueAccessToken(victimSubject());
    expect((await me(bearer(issued.token))).statusCode).toBe(200);
  });

  it('refuses alg "none"', async () => {
    const header = encode({ alg: 'none', kid: keys.signingKey.kid, typ: 'JWT' });
    for (const signature of ['', 'AAAA']) {
      const message = await expectRefused(`${header}.${encode(claims)}.${signature}`);
      expect(message).toMatch(/algorithm/);
    }
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const publicJwk = keys.jwks().keys[0]!;
    const pem = createPublicKey({ key: publicJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const secrets = [pem, JSON.stringify(publicJwk), Buffer.from(String(publicJwk.x), 'base64url')];
    const header = encode({ alg: 'HS256', kid: keys.signingKey.kid, typ: 'JWT' });
    const signingInput = `${header}.${encode(claims)}`;
    for (const secret of secrets) {
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect(await expectRefused(`${signingInput}.${signature}`)).toMatch(/algorithm/);
    }
  });

  it('refuses an expired token signed with the server key', async () => {
    const twoHoursAgo = () => new Date(Date.now() - 2 * 3600_000);
    const { token } = await serverTokens({ now: twoHoursAgo }).issueAccessToken(victimSubject());
    expect(await expectRefused(token)).toMatch(/expired/);
  });

  it('refuses a token for another audience, or from another issuer', async () => {
    const otherAudience = await serverTokens({ audience: 'billing-api' }).issueAccessToken(
      victimSubject(),
    );
    expect(await expectRefused(otherAudience.token)).toMatch(/audience/);
    const otherIssuer = await serverTokens({ issuer: 'someone-else' }).issueAccessToken(
      victimSubject(),
    );
    expect(await expectRefused(otherIssuer.token)).toMatch(/issued by someone else/);
  });

  it('refuses a token signed by a key the server does not know, even under its kid', async () => {
    const stranger = await generateSigningKeyJwk();
    const unknownKid = await loadSigningKeys({ json: JSON.stringify({ keys: [stranger] }) });
    const { token } = await serverTokens({ keys: unknownKid }).issueAccessToken(victimSubject());
    expect(await expectRefused(token)).toMatch(/key this server does not know/);

    const borrowedKid = await loadSigningKeys({
      json: JSON.stringify({ keys: [{ ...stranger, kid: keys.signingKey.kid }] }),
    });
    const forged = await serverTokens({ keys: borrowedKid }).issueAccessToken(victimSubject());
    expect(await expectRefused(forged.token)).toMatch(/signature/);
  });

  it('refuses a refresh token presented as an access token', async () => {
    expect(victim.refreshToken).toMatch(/^keelrt_/);
    await expectRefused(victim.refreshToken);
    // And the refresh token still works where it belongs.
    const session = await login(fixture.app, victim.user.email, victim.password);
    await expectRefused(session.refreshToken);
    expect((await refresh(session.refreshToken)).statusCode).toBe(200);
  });

  it('refuses a tampered payload that keeps the signature', async () => {
    const [header, , signature] = victim.accessToken.split('.');
    const asAdmin = `${header}.${encode({ ...claims, role: 'admin' })}.${signature}`;
    const asAnother = `${header}.${encode({ ...claims, sub: fixture.admin.user.id })}.${signature}`;
    const workspaces = (token: string) =>
      fixture.app.inject({ method: 'GET', url: '/v1/workspaces', headers: bearer(token) });
    expect((await workspaces(victim.accessToken)).statusCode).toBe(403);
    for (const token of [asAdmin, asAnother]) {
      const response = await workspaces(token);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.message).toMatch(/signature/);
    }
  });

  it('refuses an Authorization header that is not a bearer credential', async () => {
    for (const authorization of [`Basic ${victim.accessToken}`, 'Bearer', 'Bearer a b']) {
      const response = await me({ authorization } as BearerHeaders);
      expect(response.statusCode).toBe(401);
    }
    expect((await me()).statusCode).toBe(401);
  });
});

describe('refresh from two tabs at once', () => {
  let fixture: AuthFixture;
  let person: SignedIn;
  const refresh = (refreshToken: string) =>
    fixture.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
  const me = (accessToken: string) =>
    fixture.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(accessToken) });

  beforeAll(async () => {
    // A one-second grace window, so the test can also step past it.
    fixture = await createAuthFixture({ KEEL_REFRESH_REUSE_GRACE: '1' }, { bundled: false });
    person = await createUser(fixture.app, fixture.admin, {
      email: 'tabs@example.com',
      role: 'user',
      workspaceId: fixture.a.id,
    });
  });
  afterAll(() => fixture.close());

  it('gives both tabs the same successor instead of logging the user out', async () => {
    const first = await login(fixture.app, person.user.email, person.password);
    const [left, right] = await Promise.all([
      refresh(first.refreshToken),
      refresh(first.refreshToken),
    ]);
    expect([left.statusCode, right.statusCode], right.body).toEqual([200, 200]);
    expect(left.json().refreshToken).toBe(right.json().refreshToken);
    expect(left.json().refreshToken).not.toBe(first.refreshToken);
    expect((await me(left.json().accessToken)).statusCode).toBe(200);
    expect((await me(right.json().accessToken)).statusCode).toBe(200);
    // The shared successor rotates normally afterwards.
    const next = await refresh(left.json().refreshToken);
    expect(next.statusCode, next.body).toBe(200);
    expect((await me(next.json().accessToken)).statusCode).toBe(200);
  });

  it('still treats a replay after the grace window as a stolen token and ends the sign-in', async () => {
    const first = await login(fixture.app, person.user.email, person.password);
    const second = await refresh(first.refreshToken);
    expect(second.statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const replay = await refresh(first.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('refresh_token_reused');
    expect((await me(second.json().accessToken)).statusCode).toBe(401);
  });

  it('ends the sign-in when the successor was already used, even within the window', async () => {
    const first = await login(fixture.app, person.user.email, person.password);
    const second = (await refresh(first.refreshToken)).json();
    expect((await refresh(second.refreshToken)).statusCode).toBe(200);
    const replay = await refresh(first.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('refresh_token_reused');
  });
});

describe('sessions over HTTP', () => {
  let fixture: AuthFixture;
  let person: SignedIn;

  const me = (headers: BearerHeaders) =>
    fixture.app.inject({ method: 'GET', url: '/v1/me', headers });
  const refresh = (refreshToken: string) =>
    fixture.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
  const signIn = () => login(fixture.app, person.user.email, person.password);

  beforeAll(async () => {
    // No grace window here: every replay below is a reuse at once.
    fixture = await createAuthFixture({ KEEL_REFRESH_REUSE_GRACE: '0' }, { bundled: false });
    person = await createUser(fixture.app, fixture.admin, {
      email: 'sessions@example.com',
      role: 'user',
      workspaceId: fixture.a.id,
    });
  });
  afterAll(() => fixture.close());

  it('rotates the refresh token: the new pair works and the old access token still does', async () => {
    const first = await signIn();
    const rotated = await refresh(first.refreshToken);
    expect(rotated.statusCode).toBe(200);
    const pair = rotated.json();
    expect(pair.refreshToken).not.toBe(first.refreshToken);
    expect(pair.expiresIn).toBe(900);
    expect((await me(bearer(pair.accessToken))).statusCode).toBe(200);
    expect((await me(first.headers)).statusCode).toBe(200);
  });

  it('a reused refresh token is refused and revokes its whole family, and only it', async () => {
    const bystander = await signIn();
    const first = await signIn();
    const second = (await refresh(first.refreshToken)).json();

    const replay = await refresh(first.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('refresh_token_reused');

    for (const headers of [first.headers, bearer(second.accessToken)]) {
      const response = await me(headers);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('session_ended');
    }
    const rotatedToo = await refresh(second.refreshToken);
    expect(rotatedToo.statusCode).toBe(401);
    expect((await me(bystander.headers)).statusCode).toBe(200);
    expect((await refresh(bystander.refreshToken)).statusCode).toBe(200);
  });

  it('logout ends that session (access and refresh token); other sessions go on', async () => {
    const ending = await signIn();
    const other = await signIn();
    const logout = await fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: ending.headers,
    });
    expect(logout.statusCode).toBe(204);
    expect((await me(ending.headers)).statusCode).toBe(401);
    expect((await refresh(ending.refreshToken)).statusCode).toBe(401);
    expect((await me(other.headers)).statusCode).toBe(200);
  });

  it('logout with only the refresh token ends the session too', async () => {
    const session = await signIn();
    const logout = await fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refreshToken: session.refreshToken },
    });
    expect(logout.statusCode).toBe(204);
    expect((await me(session.headers)).statusCode).toBe(401);
  });

  it('logout everywhere ends every session of the user', async () => {
    const sessions = [await signIn(), await signIn()];
    const logout = await fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: sessions[0]!.headers,
      payload: { everywhere: true },
    });
    expect(logout.statusCode).toBe(204);
    for (const session of sessions) expect((await me(session.headers)).statusCode).toBe(401);
    expect((await me(fixture.a.user.headers)).statusCode).toBe(200);
  });

  it('refreshes through the httpOnly, SameSite=Strict cookie the login sets', async () => {
    const session = await signIn();
    const cookie = cookieFrom(session.setCookie, 'keel_refresh');
    expect(cookie?.value).toBe(session.refreshToken);
    const attributes = cookie?.attributes.map((attribute) => attribute.toLowerCase()) ?? [];
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=strict');
    expect(attributes).toContain('path=/v1/auth');

    const rotated = await fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      cookies: { keel_refresh: cookie!.value },
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const next = cookieFrom(rotated.headers['set-cookie'], 'keel_refresh');
    expect(next?.value).toBe(rotated.json().refreshToken);
    expect(next?.value).not.toBe(cookie!.value);
    expect((await me(bearer(rotated.json().accessToken))).statusCode).toBe(200);

    const replayed = await fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      cookies: { keel_refresh: cookie!.value },
    });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json().error.code).toBe('refresh_token_reused');
  });

  it('disabling a user refuses their access tokens and API keys at once', async () => {
    const doomed = await createUser(fixture.app, fixture.admin, {
      email: 'doomed@example.com',
      role: 'user',
      workspaceId: fixture.a.id,
    });
    const key = await createApiKey(fixture.app, doomed, ['kb:read', 'chat']);
    expect((await me(doomed.headers)).statusCode).toBe(200);
    expect((await me(key.headers)).statusCode).toBe(200);

    const disable = (disabled: boolean) =>
      fixture.app.inject({
        method: 'PATCH',
        url: `/v1/users/${doomed.user.id}`,
        headers: fixture.a.manager.headers,
        payload: { disabled },
      });
    expect((await disable(true)).statusCode).toBe(200);

    expect((await me(doomed.headers)).statusCode).toBe(401);
    const keyRefused = await me(key.headers);
    expect(keyRefused.statusCode).toBe(401);
    expect(keyRefused.json().error.code).toBe('account_disabled');
    expect((await refresh(doomed.refreshToken)).statusCode).toBe(401);
    const signInAgain = await fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: doomed.user.email, password: doomed.password },
    });
    expect(signInAgain.statusCode).toBe(401);
    expect(signInAgain.json().error.code).toBe('invalid_credentials');

    // Enabling again restores the key, but the ended sessions stay ended.
    expect((await disable(false)).statusCode).toBe(200);
    expect((await me(key.headers)).statusCode).toBe(200);
    expect((await me(doomed.headers)).statusCode).toBe(401);
  });

  it('a revoked API key is refused at once', async () => {
    const session = await signIn();
    const key = await createApiKey(fixture.app, session, ['kb:read']);
    expect((await me(key.headers)).statusCode).toBe(200);
    const revoke = await fixture.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${key.id}`,
      headers: session.headers,
    });
    expect(revoke.statusCode).toBe(200);
    const refused = await me(key.headers);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('api_key_revoked');
    // A key with its secret altered under the right prefix is no key at all.
    const altered = `${key.key.slice(0, -4)}${key.key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect((await me(bearer(altered))).json().error.code).toBe('invalid_api_key');
  });
});
