import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/actor.js';
import type { CanaryService } from '../../governor/policy-canary.js';
import { errorSchema } from '../schemas.js';

const canarySchema = z.object({
  id: z.string(),
  version: z.string(),
  baseVersion: z.string().describe('The version active when the canary started'),
  percent: z.number().int(),
  startedAt: z.string(),
  startedBy: z.string(),
  reason: z.string(),
  ended: z
    .object({
      at: z.string(),
      by: z.string(),
      outcome: z.enum(['promoted', 'rolled_back', 'stopped']),
      reason: z.string(),
    })
    .optional(),
});

const figuresSchema = z.object({
  version: z.string(),
  calls: z.number().int(),
  refusalRate: z.number(),
  errorRate: z.number(),
  groundingFailureRate: z.number(),
  latencyP95Ms: z.number().nullable(),
});

const statusSchema = z.object({
  canary: canarySchema.nullable(),
  comparison: z
    .object({
      canary: figuresSchema,
      active: figuresSchema,
      settings: z.object({
        windowSeconds: z.number(),
        minCalls: z.number(),
        maxRefusalRateIncrease: z.number(),
        maxErrorRateIncrease: z.number(),
        maxGroundingFailureRateIncrease: z.number(),
        maxLatencyP95Ratio: z.number(),
        minLatencyIncreaseMs: z.number(),
      }),
      elapsedSeconds: z.number(),
      verdict: z.object({
        decision: z.enum(['rollback', 'promote', 'continue']),
        reasons: z.array(z.string()),
      }),
    })
    .nullable()
    .describe('The running canary against the active version, and the verdict it would get now'),
  history: z.array(canarySchema).describe('Canaries newest first, the running one included'),
});

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
// Deciding which policy users run under is the administrators' part, like activation.
const adminAccess = { access: { role: 'admin' as const, scope: 'admin' as const } };

export interface PolicyCanaryRouteDeps {
  canaries: Pick<CanaryService, 'status' | 'start' | 'stop'>;
}

/** Canary rollout of a policy version: start, watch, stop (promotion and rollback are automatic). */
export const policyCanaryRoutes =
  ({ canaries }: PolicyCanaryRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/policies/canary',
      {
        config: adminAccess,
        schema: {
          summary: 'The running canary with its live comparison, and the canaries before it',
          tags: ['policies'],
          response: { 200: statusSchema, ...errors },
        },
      },
      async () => canaries.status(),
    );

    app.post(
      '/v1/policies/canary',
      {
        config: adminAccess,
        schema: {
          summary:
            'Serve a stored policy version to `percent` % of the users (sticky per user); it is promoted or rolled back automatically',
          tags: ['policies'],
          body: z
            .object({
              version: z.string().min(4).max(64),
              percent: z.number().int().min(1).max(100),
              reason: z.string().max(500).optional(),
            })
            .strict(),
          response: { 200: canarySchema, 409: errorSchema, ...errors },
        },
      },
      async (request) =>
        canaries.start(request.body.version, request.body.percent, {
          actor: actorOf(request.principal),
          reason: request.body.reason ?? 'canary started via API',
          traceId: request.id,
        }),
    );

    app.post(
      '/v1/policies/canary/stop',
      {
        config: adminAccess,
        schema: {
          summary: 'Stop the running canary: its users return to the active version',
          tags: ['policies'],
          body: z
            .object({ reason: z.string().max(500).optional() })
            .strict()
            .default({}),
          response: { 200: canarySchema, ...errors },
        },
      },
      async (request) =>
        canaries.stop({
          actor: actorOf(request.principal),
          reason: request.body.reason ?? 'stopped via API',
          traceId: request.id,
        }),
    );
  };
