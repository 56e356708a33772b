import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestKeel, createTestKeel } from '../../test/helpers/test-keel.js';

describe('HTTP hardening', () => {
  let keel: TestKeel;
  beforeAll(async () => {
    keel = await createTestKeel(
      { KEEL_CORS_ORIGINS: 'https://app.example.com' },
      { bundled: false },
    );
  });
  afterAll(() => keel.close());

  it('answers CORS only for allow-listed origins, with credentials', async () => {
    const preflight = (origin: string) =>
      keel.app.inject({
        method: 'OPTIONS',
        url: '/v1/chat',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const other = await preflight('https://evil.example.net');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never pairs a wildcard origin with credentials', async () => {
    const open = await createTestKeel({ KEEL_CORS_ORIGINS: '*' }, { bundled: false });
    const response = await open.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://x.test' },
    });
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    await open.close();
  });

  it('sends security headers, on unknown routes too', async () => {
    for (const url of ['/health/live', '/v1/no-such-route']) {
      const response = await keel.app.inject({ method: 'GET', url });
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBeDefined();
      expect(response.headers['strict-transport-security']).toBeDefined();
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('limits small routes to small bodies', async () => {
    const response = await keel.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'a@b.co', password: 'x'.repeat(20_000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('body_too_large');
  });

  it('keeps stack traces and SQL out of error bodies', async () => {
    const response = await keel.app.inject({
      method: 'POST',
      url: '/v1/chat',
      headers: { 'content-type': 'application/json' },
      payload: '{"message":',
    });
    expect(response.body).not.toMatch(/at .*\.ts:\d+|SQLITE|select /i);
  });

  it('with sign-in off, the local user is an admin of the default workspace', async () => {
    const me = await keel.app.inject({ method: 'GET', url: '/v1/me' });
    expect(me.json()).toMatchObject({
      via: 'local',
      role: 'admin',
      workspaceId: 'default',
      user: null,
    });
  });
});
