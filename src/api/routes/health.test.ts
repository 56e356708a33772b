import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouteApp } from '../../../test/helpers/route-app.js';
import { LOCAL_PRINCIPAL } from '../../auth/principal.js';
import { createMetrics } from '../../telemetry/metrics.js';
import { LIVENESS_ALIAS, READINESS_ALIASES, healthRoutes } from './health.js';

describe('health routes with one dependency down', () => {
  let app: Awaited<ReturnType<typeof createRouteApp>>;
  const checks = { database: 'ok', jobs: 'failed: the queue is closed' };

  beforeAll(async () => {
    app = await createRouteApp(
      healthRoutes({ readiness: async () => checks, metrics: createMetrics() }),
      { admin: LOCAL_PRINCIPAL },
    );
  });
  afterAll(() => app.close());

  it('answers 503 with every check on each readiness path', async () => {
    for (const url of ['/health/ready', ...READINESS_ALIASES]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(503);
      expect(response.json()).toEqual({ status: 'unavailable', checks });
    }
  });

  it('stays live, so an orchestrator does not restart a process that is only waiting', async () => {
    for (const url of ['/health/live', LIVENESS_ALIAS]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    }
  });

  it('serves metrics to an admin only', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const metrics = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer admin' },
    });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
  });
});
