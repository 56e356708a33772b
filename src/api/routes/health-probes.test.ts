import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../../test/helpers/test-keel.js';
import type { FakeServer } from '../../../test/fixtures/providers/fake-server.js';
import { startOpenAiServer } from '../../../test/fixtures/providers/openai-server.js';
import { createProviderProbe } from '../../providers/provider-probe.js';
import { loadConfig } from '../../config/config.js';
import { LIVENESS_ALIAS, READINESS_ALIASES } from './health.js';

describe('probe aliases and provider readiness', () => {
  let openai: FakeServer;
  let keel: Awaited<ReturnType<typeof createTestKeel>>;
  beforeAll(async () => {
    openai = await startOpenAiServer();
    keel = await createTestKeel(
      { KEEL_LLM: 'openai', OPENAI_API_KEY: 'sk-test-probe', OPENAI_BASE_URL: `${openai.url}/v1` },
      { bundled: false, worker: false },
    );
  });
  afterAll(async () => {
    await keel.close();
    await openai.close();
  });

  it('answers every seed probe path from the health routes, as JSON with the checks', async () => {
    for (const url of ['/health/ready', ...READINESS_ALIASES]) {
      const response = await keel.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toContain('application/json');
      expect(response.json()).toMatchObject({
        status: 'ok',
        checks: { database: 'ok', jobs: 'ok', blobs: 'ok', provider: 'ok' },
      });
    }
    const live = await keel.app.inject({ method: 'GET', url: LIVENESS_ALIAS });
    expect(live.json()).toEqual({ status: 'ok' });
    const models = openai.requests.filter((request) => request.url === '/v1/models');
    // One provider call for five probes: the result is cached.
    expect(models).toHaveLength(1);
    expect(models[0]?.headers.authorization).toBe('Bearer sk-test-probe');
  });

  it('an unknown path under /api is a JSON 404, never the web app page', async () => {
    const response = await keel.app.inject({ method: 'GET', url: '/api/v2/healthz' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  it('the probe paths are in the OpenAPI document', async () => {
    const document = (await keel.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    for (const path of [...READINESS_ALIASES, LIVENESS_ALIAS])
      expect(document.paths).toHaveProperty(path);
  });
});

describe('provider probe', () => {
  it('reports a refused key as unready, caches it, and checks again after the TTL', async () => {
    const openai = await startOpenAiServer();
    try {
      let now = 1_000_000;
      const config = loadConfig({
        env: {
          KEEL_DATA_DIR: '/tmp/keel-probe-unused',
          KEEL_LLM: 'openai',
          OPENAI_API_KEY: 'sk-bad',
          OPENAI_BASE_URL: `${openai.url}/v1`,
        },
        file: '/nonexistent/keel.yaml',
      });
      const probe = createProviderProbe(config, { now: () => now });
      openai.faults.reject = true;
      await expect(probe()).rejects.toThrow(/openai answered 401/);
      await expect(probe()).rejects.toThrow(/openai answered 401/);
      expect(openai.requests).toHaveLength(1);
      openai.faults.reject = false;
      now += 31_000;
      await expect(probe()).resolves.toBeUndefined();
      expect(openai.requests).toHaveLength(2);
    } finally {
      await openai.close();
    }
  });

  it('an unreachable provider makes /health unready with the reason', async () => {
    const keel = await createTestKeel(
      { KEEL_LLM: 'ollama', OLLAMA_BASE_URL: 'http://127.0.0.1:9' },
      { bundled: false, worker: false },
    );
    try {
      const response = await keel.app.inject({ method: 'GET', url: '/health' });
      expect(response.statusCode).toBe(503);
      expect(response.json().checks.provider).toMatch(/^failed: ollama unreachable/);
      expect(response.json().checks.database).toBe('ok');
    } finally {
      await keel.close();
    }
  });
});
