import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/config.js';
import { periodStart } from '../../limits/periods.js';
import type { UsageStore } from '../../store/usage-store.js';
import { errorSchema } from '../schemas.js';
import { usageFilter } from '../usage-scope.js';

const totalsSchema = z.object({
  calls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cost: z.number(),
});

export interface UsageRouteDeps {
  usage: Pick<UsageStore, 'totals' | 'daily'>;
  quotas: Config['limits']['quotas'];
}

/** `GET /v1/usage`: your own usage; managers may ask for their workspace, admins for everything. */
export const usageRoutes =
  ({ usage, quotas }: UsageRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/usage',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary:
            'Token, call and cost usage: today, this month, per day, and the quotas that apply',
          tags: ['usage'],
          querystring: z.object({
            scope: z.enum(['me', 'workspace', 'all']).default('me'),
            days: z.coerce.number().int().min(1).max(366).default(30),
          }),
          response: {
            200: z.object({
              scope: z.enum(['me', 'workspace', 'all']),
              today: totalsSchema,
              month: totalsSchema,
              daily: z.array(
                totalsSchema.extend({
                  day: z.string(),
                  userId: z.string(),
                  workspaceId: z.string(),
                }),
              ),
              quotas: z.unknown(),
            }),
            400: errorSchema,
            401: errorSchema,
            403: errorSchema,
          },
        },
      },
      async (request) => {
        const { principal } = request;
        const { scope, days } = request.query;
        const filter = usageFilter(principal, scope);
        const now = new Date();
        const [today, month, daily] = await Promise.all([
          usage.totals({ ...filter, since: periodStart(now, 'day').toISOString() }),
          usage.totals({ ...filter, since: periodStart(now, 'month').toISOString() }),
          usage.daily({
            ...filter,
            since: new Date(now.getTime() - days * 86_400_000).toISOString(),
          }),
        ]);
        return { scope, today, month, daily, quotas };
      },
    );
  };
