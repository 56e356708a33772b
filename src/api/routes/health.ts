import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Keel } from '../../keel.js';
import { OrchestratorClient } from '../../orchestrator/client.js';
import { redisAvailable } from '../../redis/connection.js';

/** Probes and metrics: `/health/live` (the process answers), `/health/ready` (each dependency). */
export const healthRoutes =
  (keel: Keel): FastifyPluginAsyncZod =>
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
    app.get(
      '/health/ready',
      {
        config: { access: { public: true } },
        schema: {
          summary:
            'Readiness: database, active policy, job queue, blob store (and Redis and the orchestrator when configured)',
          tags: ['operations'],
          response: { 200: readySchema, 503: readySchema },
        },
      },
      async (_request, reply) => {
        const checks: Record<string, string> = {};
        const probe = async (name: string, check: () => Promise<unknown>) => {
          try {
            await check();
            checks[name] = 'ok';
          } catch (error) {
            checks[name] = `failed: ${(error as Error).message}`;
          }
        };
        await probe('database', () => keel.store.ping());
        await probe('policy', () => keel.policies.current());
        await probe('jobs', () => keel.jobs.ping());
        const redis = keel.redis;
        if (redis) {
          await probe('redis', async () => {
            if (!(await redisAvailable(redis))) throw new Error('no answer to PING');
          });
        }
        // A list of at most one key proves the bucket (or folder) is there and readable.
        await probe('blobs', () => keel.blobs.list('', { limit: 1 }));
        const orchestrator = keel.answers;
        if (orchestrator instanceof OrchestratorClient) {
          await probe('orchestrator', () => orchestrator.ready());
        }
        const ok = Object.values(checks).every((value) => value === 'ok');
        return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
      },
    );

    app.get(
      '/metrics',
      // Prometheus scrapes with an admin-scoped API key once sign-in is on.
      {
        config: { access: { role: 'admin', scope: 'admin' } },
        schema: { hide: true },
      },
      async (_request, reply) => {
        const body = await keel.metrics.registry.metrics();
        return reply.type(keel.metrics.registry.contentType).send(body);
      },
    );
  };
