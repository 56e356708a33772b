import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH_ENV,
  type AuthFixture,
  type BearerHeaders,
  type SignedIn,
  createApiKey,
  createAuthFixture,
  createUser,
} from '../../../test/helpers/auth-fixtures.js';
import { type TestKeel, createTestKeel } from '../../../test/helpers/test-keel.js';

function countByStatus(responses: LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses)
    counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
  return counts;
}

function retryAfterOf(response: LightMyRequestResponse): number {
  const seconds = Number(response.headers['retry-after']);
  expect(Number.isInteger(seconds) && seconds >= 1, `Retry-After ${seconds}`).toBe(true);
  return seconds;
}

describe('brute-force lockout on sign-in', () => {
  let fixture: AuthFixture;
  let target: SignedIn;

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
    target = await createUser(fixture.app, fixture.admin, {
      email: 'target@example.com',
      role: 'user',
      workspaceId: fixture.a.id,
    });
  });
  afterAll(() => fixture.close());

  const attempt = (email: string, password: string, remoteAddress: string) =>
    fixture.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password },
      remoteAddress,
    });

  /** Six wrong passwords, then the right one (or another wrong one for an unknown e-mail). */
  async function hammer(email: string, rightPassword: string, remoteAddress: string) {
    const responses: LightMyRequestResponse[] = [];
    for (let index = 0; index < 6; index += 1)
      responses.push(await attempt(email, `wrong password number ${index}`, remoteAddress));
    responses.push(await attempt(email, rightPassword, remoteAddress));
    return responses;
  }

  it('locks an e-mail after repeated wrong passwords, even against the right one, with Retry-After', async () => {
    const responses = await hammer(target.user.email, target.password, '198.51.100.1');
    expect(responses.map((response) => response.statusCode)).toEqual([
      401, 401, 401, 401, 401, 429, 429,
    ]);
    const locked = responses[6]!;
    expect(locked.json().error.code).toBe('rate_limited');
    expect(retryAfterOf(locked)).toBeLessThanOrEqual(30);
    // The lock is on the account, not only on the address the guesses came from, and another
    // spelling of the same address does not get round it.
    for (const email of [target.user.email, ' TARGET@Example.com']) {
      const elsewhere = await attempt(email, target.password, '198.51.100.99');
      expect(elsewhere.statusCode).toBe(429);
    }
    // Other accounts from the first address still sign in.
    const bystander = await attempt(
      fixture.b.user.user.email,
      fixture.b.user.password,
      '198.51.100.1',
    );
    expect(bystander.statusCode).toBe(200);
  });

  it('answers an unknown e-mail exactly like a known one', async () => {
    const known = await createUser(fixture.app, fixture.admin, {
      email: 'known@example.com',
      role: 'user',
      workspaceId: fixture.a.id,
    });
    const shape = (response: LightMyRequestResponse) => ({
      status: response.statusCode,
      code: response.json().error.code,
      message: response.statusCode === 401 ? response.json().error.message : 'locked',
      retryAfter: response.headers['retry-after'] !== undefined,
    });
    const forKnown = (await hammer(known.user.email, known.password, '198.51.100.2')).map(shape);
    const forUnknown = (
      await hammer('nobody-here@example.com', 'whatever it is', '198.51.100.3')
    ).map(shape);
    expect(forUnknown).toEqual(forKnown);
    expect(forKnown.map((entry) => entry.status)).toContain(429);
  });

  it('a successful sign-in forgets the earlier failures of that e-mail', async () => {
    const person = await createUser(fixture.app, fixture.admin, {
      email: 'forgetful@example.com',
      role: 'user',
      workspaceId: fixture.a.id,
    });
    const address = '198.51.100.4';
    for (let round = 0; round < 2; round += 1) {
      for (let index = 0; index < 4; index += 1)
        expect((await attempt(person.user.email, 'not the password', address)).statusCode).toBe(
          401,
        );
      expect((await attempt(person.user.email, person.password, address)).statusCode).toBe(200);
    }
  });

  it('locks an address that sprays many e-mails, while other addresses sign in', async () => {
    const address = '198.51.100.5';
    for (let index = 0; index < 20; index += 1) {
      const response = await attempt(`spray-${index}@example.com`, 'guess guess guess', address);
      expect(response.statusCode).toBe(401);
    }
    const blocked = await attempt(fixture.a.user.user.email, fixture.a.user.password, address);
    expect(blocked.statusCode).toBe(429);
    retryAfterOf(blocked);
    const other = await attempt(fixture.a.user.user.email, fixture.a.user.password, '198.51.100.6');
    expect(other.statusCode).toBe(200);
  });
});

describe('rate limits on search, per user and per API key', () => {
  let fixture: AuthFixture;
  const search = (headers: BearerHeaders) =>
    fixture.app.inject({ method: 'GET', url: '/v1/kb/search?q=policy', headers });

  beforeAll(async () => {
    fixture = await createAuthFixture({ KEEL_RATE_LIMIT_SEARCH: '5' }, { bundled: false });
  });
  afterAll(() => fixture.close());

  it('admits exactly 5 of 20 concurrent searches, with RateLimit-* and Retry-After', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => search(fixture.a.user.headers)),
    );
    expect(countByStatus(responses)).toEqual({ 200: 5, 429: 15 });
    for (const response of responses) {
      expect(response.headers['ratelimit-limit']).toBe('5');
      expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThan(0);
    }
    const allowed = responses.filter((response) => response.statusCode === 200);
    expect(
      allowed.map((response) => Number(response.headers['ratelimit-remaining'])).sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    for (const refused of responses.filter((response) => response.statusCode === 429)) {
      expect(refused.headers['ratelimit-remaining']).toBe('0');
      expect(refused.json().error).toMatchObject({
        code: 'rate_limited',
        details: { scope: 'user', limit: 5 },
      });
      expect(retryAfterOf(refused)).toBeLessThanOrEqual(60);
    }
    expect(allowed.every((response) => response.headers['retry-after'] === undefined)).toBe(true);
  });

  it("gives each API key its own bucket, apart from its owner's and from other keys", async () => {
    const owner = fixture.b.user;
    const first = await createApiKey(fixture.app, owner, ['kb:read'], 'first');
    const second = await createApiKey(fixture.app, owner, ['kb:read'], 'second');
    const ownerRuns = await Promise.all(Array.from({ length: 6 }, () => search(owner.headers)));
    expect(countByStatus(ownerRuns)).toEqual({ 200: 5, 429: 1 });

    const keyRuns = await Promise.all(Array.from({ length: 8 }, () => search(first.headers)));
    expect(countByStatus(keyRuns)).toEqual({ 200: 5, 429: 3 });
    expect(
      keyRuns.find((response) => response.statusCode === 429)!.json().error.details.scope,
    ).toBe('api-key');
    expect((await search(second.headers)).statusCode).toBe(200);
    expect((await search(fixture.b.manager.headers)).statusCode).toBe(200);
  });
});

describe('rate limit on auth routes, per IP address', () => {
  let harness: TestKeel;
  beforeAll(async () => {
    harness = await createTestKeel({ ...AUTH_ENV, KEEL_RATE_LIMIT_AUTH: '3' }, { bundled: false });
  });
  afterAll(() => harness.close());

  const post = (url: string, remoteAddress: string) =>
    harness.app.inject({ method: 'POST', url, payload: {}, remoteAddress });

  it('admits 3 requests a minute from one address across the auth routes, then 429', async () => {
    const responses = [
      await post('/v1/auth/login', '192.0.2.10'),
      await post('/v1/auth/register', '192.0.2.10'),
      await post('/v1/auth/login', '192.0.2.10'),
      await post('/v1/auth/refresh', '192.0.2.10'),
      await post('/v1/auth/login', '192.0.2.10'),
    ];
    expect(responses.map((response) => response.statusCode)).toEqual([400, 400, 400, 429, 429]);
    const refused = responses[3]!;
    expect(refused.json().error).toMatchObject({ code: 'rate_limited', details: { scope: 'ip' } });
    expect(refused.headers['ratelimit-limit']).toBe('3');
    retryAfterOf(refused);
    expect((await post('/v1/auth/login', '192.0.2.11')).statusCode).toBe(400);
  });
});

describe('call quotas under concurrency', () => {
  const chat = (
    fixture: AuthFixture,
    headers: BearerHeaders,
    message = 'How do I roll back a policy?',
  ) => fixture.app.inject({ method: 'POST', url: '/v1/chat', headers, payload: { message } });
  const usage = async (fixture: AuthFixture, headers: BearerHeaders, scope = 'me') =>
    (await fixture.app.inject({ method: 'GET', url: `/v1/usage?scope=${scope}`, headers })).json();

  function expectQuotaRefusal(response: LightMyRequestResponse, scope: 'user' | 'workspace') {
    expect(response.json().error).toMatchObject({
      code: 'quota_exceeded',
      details: { scope, period: 'day', metric: 'calls' },
    });
    expect(response.json().error.message).toMatch(/daily call quota/);
    expect(retryAfterOf(response)).toBeLessThanOrEqual(86_400);
  }

  describe('per user', () => {
    let fixture: AuthFixture;
    const newDefaultUser = (email: string) =>
      createUser(fixture.app, fixture.admin, { email, role: 'user', workspaceId: 'default' });

    beforeAll(async () => {
      fixture = await createAuthFixture({
        KEEL_QUOTAS: JSON.stringify({ user: { day: { calls: 7 } } }),
        KEEL_RATE_LIMIT_CHAT: '1000',
      });
    });
    afterAll(() => fixture.close());

    it('admits exactly 7 of 50 concurrent chats and records 7 calls with tokens', async () => {
      const person = await newDefaultUser('quota.user@example.com');
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => chat(fixture, person.headers)),
      );
      expect(countByStatus(responses)).toEqual({ 200: 7, 429: 43 });
      for (const refused of responses.filter((response) => response.statusCode === 429)) {
        expectQuotaRefusal(refused, 'user');
        expect(refused.json().error.details).toMatchObject({ limit: 7, used: 7 });
      }
      const own = await usage(fixture, person.headers);
      expect(own.today.calls).toBe(7);
      expect(own.today.inputTokens).toBeGreaterThan(0);
      expect(own.today.outputTokens).toBeGreaterThan(0);
      expect(own.daily).toHaveLength(1);
      expect(own.daily[0]).toMatchObject({ calls: 7, userId: person.user.id });
    });

    it('does not charge refused input or invalid requests to the quota', async () => {
      const person = await newDefaultUser('quota.refused@example.com');
      for (let index = 0; index < 10; index += 1) {
        const refused = await chat(fixture, person.headers, '   ');
        expect(refused.statusCode).toBe(422);
        expect(refused.json().error.code).toBe('input_refused');
      }
      const invalid = await fixture.app.inject({
        method: 'POST',
        url: '/v1/chat',
        headers: person.headers,
        payload: { question: 'wrong field' },
      });
      expect(invalid.statusCode).toBe(400);
      expect((await usage(fixture, person.headers)).today.calls).toBe(0);

      const responses = await Promise.all(
        Array.from({ length: 10 }, () => chat(fixture, person.headers)),
      );
      expect(countByStatus(responses)).toEqual({ 200: 7, 429: 3 });
    });

    it("charges an API key's calls to its owner's quota", async () => {
      const person = await newDefaultUser('quota.key@example.com');
      const key = await createApiKey(fixture.app, person, ['chat']);
      const viaSession = await Promise.all(
        Array.from({ length: 4 }, () => chat(fixture, person.headers)),
      );
      const viaKey = await Promise.all(Array.from({ length: 6 }, () => chat(fixture, key.headers)));
      expect(countByStatus(viaSession)).toEqual({ 200: 4 });
      expect(countByStatus(viaKey)).toEqual({ 200: 3, 429: 3 });
    });
  });

  describe('per workspace', () => {
    let fixture: AuthFixture;

    beforeAll(async () => {
      fixture = await createAuthFixture({
        KEEL_QUOTAS: JSON.stringify({ workspace: { day: { calls: 6 } } }),
        KEEL_RATE_LIMIT_CHAT: '1000',
      });
    });
    afterAll(() => fixture.close());

    it('admits exactly 6 of 50 concurrent chats across two users of one workspace', async () => {
      const { manager, user } = fixture.a;
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          chat(fixture, index % 2 === 0 ? user.headers : manager.headers),
        ),
      );
      expect(countByStatus(responses)).toEqual({ 200: 6, 429: 44 });
      for (const refused of responses.filter((response) => response.statusCode === 429))
        expectQuotaRefusal(refused, 'workspace');

      const workspace = await usage(fixture, manager.headers, 'workspace');
      expect(workspace.today.calls).toBe(6);
      const perUser = (await usage(fixture, user.headers)).today.calls;
      const perManager = (await usage(fixture, manager.headers)).today.calls;
      expect(perUser + perManager).toBe(6);

      // Another workspace's quota is its own.
      expect((await chat(fixture, fixture.b.user.headers)).statusCode).toBe(200);
    });
  });
});
