import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../test/helpers/test-keel.js';
import { AUTH_ENV } from '../../test/helpers/auth-fixtures.js';

type Harness = Awaited<ReturnType<typeof createTestKeel>>;
const INDEX = '<!doctype html><title>Keel app</title><script src="/assets/app-3f2a9c.js"></script>';

function builtApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-3f2a9c.js'), 'console.log("app")');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, '.env'), 'SECRET=1');
  return dir;
}

describe('the web app at /', () => {
  let harness: Harness;
  const get = (url: string) => harness.app.inject({ method: 'GET', url });

  beforeAll(async () => {
    harness = await createTestKeel(
      { KEEL_WEB_DIR: builtApp(), KEEL_API_ORIGIN: 'https://api.example.com/' },
      { bundled: false },
    );
  });
  afterAll(() => harness.close());

  it('serves index.html uncached, under a CSP that allows only Keel and the API origin', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(INDEX);
    expect(response.headers['cache-control']).toBe('no-cache');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toMatch(/connect-src 'self' https:\/\/api\.example\.com(;|$)/);
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('caches hashed assets for a year', async () => {
    const response = await get('/assets/app-3f2a9c.js');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('console.log("app")');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/favicon.svg')).headers['cache-control']).toBe('public, max-age=3600');
  });

  it('answers a client-side route with index.html, but never a file outside the app', async () => {
    for (const url of ['/chat/cnv_123', '/admin/policies?tab=diff', '/%2e%2e/%2e%2e/etc/passwd']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toBe(INDEX);
    }
    expect((await get('/.env')).body).toBe(INDEX);
  });

  it('keeps unknown API paths JSON 404s', async () => {
    for (const url of ['/v1/nope', '/v1', '/health/nothing']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code, url).toBe('not_found');
    }
    const post = await harness.app.inject({ method: 'POST', url: '/somewhere', payload: {} });
    expect(post.statusCode).toBe(404);
  });

  it('tells a hosted copy of the app where the API is', async () => {
    const response = await get('/config.json');
    expect(response.json()).toEqual({
      apiOrigin: 'https://api.example.com',
      authEnabled: false,
      setupRequired: false,
    });
  });
});

describe('the web app before it is built', () => {
  it('says how to build it, and reports first-run setup with sign-in on', async () => {
    const harness = await createTestKeel(
      { ...AUTH_ENV, KEEL_WEB_DIR: join(tmpdir(), 'keel-web-missing-folder') },
      { bundled: false },
    );
    try {
      const page = await harness.app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.body).toContain('npm run build');
      const config = await harness.app.inject({ method: 'GET', url: '/config.json' });
      expect(config.json()).toEqual({ apiOrigin: '', authEnabled: true, setupRequired: true });
    } finally {
      await harness.close();
    }
  });
});
