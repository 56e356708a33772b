import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Metrics } from '../../telemetry/metrics.js';

/**
 * Structra probes `/health` (every dependency), Viral Cast `/api/v1/healthchecker` and Arbor &
 * Kumori `/api/ready` for readiness; Arbor & Kumori's liveness probe is `/api/health`, which must
 * not fail while a dependency is down (the orchestrator would restart a healthy process).
 */
export const READINESS_ALIASES = ['/health', '/api/ready', '/api/v1/healthchecker'] as const;
export const LIVENESS_ALIAS = '/api/health';

export interface HealthRouteDeps {
  /** Each dependency's state, `ok` or `failed: <reason>` (see `readinessChecks`). */
  readiness: () => Promise<Record<string, string>>;
  metrics: Pick<Metrics, 'registry'>;
}

/** Probes and metrics: `/health/live` (the process answers), `/health/ready` (each dependency). */
export const healthRoutes =
  ({ readiness, metrics }: HealthRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/health/live',
      {
        config: { access: { public: true } },
        schema: {
          summary: 'Liveness',
          tags: ['operations'],
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    const readySchema = z.object({
      status: z.enum(['ok', 'unavailable']),
      checks: z.record(z.string(), z.string()),
    });
    const ready = async (_request: unknown, reply: FastifyReply) => {
      const checks = await readiness();
      const ok = Object.values(checks).every((value) => value === 'ok');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    };
    const readyOptions = (summary: string) => ({
      config: { access: { public: true as const } },
      schema: {
        summary,
        tags: ['operations'],
        response: { 200: readySchema, 503: readySchema },
      },
    });
    app.get(
      '/health/ready',
      readyOptions(
        'Readiness: database, active policy, job queue, blob store, chat provider (and Redis and the orchestrator when configured)',
      ),
      ready,
    );
    // The probe paths the seed products' manifests use. Each answers from Keel itself, never from
    // the web app's page fallback, which would say 200 while Keel is unready.
    for (const path of READINESS_ALIASES) {
      app.get(path, readyOptions(`Readiness, as /health/ready (probe alias)`), ready);
    }
    app.get(
      LIVENESS_ALIAS,
      {
        config: { access: { public: true } },
        schema: {
          summary: 'Liveness, as /health/live (probe alias)',
          tags: ['operations'],
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/metrics',
      // Prometheus scrapes with an admin-scoped API key once sign-in is on.
      {
        config: { access: { role: 'admin', scope: 'admin' } },
        schema: { hide: true },
      },
      async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  };
