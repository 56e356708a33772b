import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import type { Config } from '../../config/config.js';
import { quotaStatus } from '../../limits/quota-status.js';
import type { AccountStore } from '../../store/account-store.js';
import type { UsageStore } from '../../store/usage-store.js';
import { errorSchema } from '../schemas.js';
import { assertRange, instantSchema } from '../time-range.js';
import { usageFilter } from '../usage-scope.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Widest range per bucket size, so one request never asks for an unbounded number of points. */
const MAX_SPAN_MS = { hour: 31 * DAY_MS, day: 366 * DAY_MS };
const DEFAULT_SPAN_MS = { hour: 2 * DAY_MS, day: 30 * DAY_MS };

const pointSchema = z.object({
  at: z.string().describe('Start of the bucket (UTC)'),
  calls: z.number(),
  promptTokens: z.number(),
  completionTokens: z.number(),
  costUsd: z.number(),
});

export interface UsageSeriesRouteDeps {
  usage: UsageStore;
  accounts: Pick<AccountStore, 'listUsers' | 'listWorkspaces'>;
  quotas: Config['limits']['quotas'];
}

/** `GET /v1/usage/series`: usage over time per user or workspace, for charts, with quotas. */
export const usageSeriesRoutes =
  ({ usage, accounts, quotas }: UsageSeriesRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    /** People read names, not ids: e-mail addresses for users, names for workspaces. */
    const labels = async (groupBy: 'user' | 'workspace'): Promise<Map<string, string>> =>
      groupBy === 'user'
        ? new Map((await accounts.listUsers()).map((user) => [user.id, user.email]))
        : new Map((await accounts.listWorkspaces()).map((space) => [space.id, space.name]));

    app.get(
      '/v1/usage/series',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: 'Tokens and cost per hour or day, per user or workspace, and your quotas',
          tags: ['usage'],
          querystring: z.object({
            scope: z.enum(['me', 'workspace', 'all']).default('me'),
            bucket: z.enum(['hour', 'day']).default('day'),
            from: instantSchema.optional().describe('Default: 2 days (hour) or 30 days (day) ago'),
            to: instantSchema.optional().describe('Exclusive; default: now'),
            groupBy: z.enum(['user', 'workspace']).default('user'),
          }),
          response: {
            200: z.object({
              bucket: z.enum(['hour', 'day']),
              from: z.string(),
              to: z.string(),
              series: z.array(
                z.object({ key: z.string(), label: z.string(), points: z.array(pointSchema) }),
              ),
              quotas: z.array(
                z.object({
                  name: z.string(),
                  scope: z.enum(['user', 'workspace']),
                  metric: z.enum(['calls', 'tokens', 'cost']),
                  period: z.enum(['day', 'month']),
                  used: z.number(),
                  limit: z.number(),
                  resetsAt: z.string(),
                }),
              ),
            }),
            400: errorSchema,
            401: errorSchema,
            403: errorSchema,
          },
        },
      },
      async (request) => {
        const { principal } = request;
        const { scope, bucket, groupBy } = request.query;
        const filter = usageFilter(principal, scope);
        const to = request.query.to ?? new Date().toISOString();
        const from =
          request.query.from ?? new Date(Date.parse(to) - DEFAULT_SPAN_MS[bucket]).toISOString();
        assertRange(from, to);
        if (Date.parse(to) - Date.parse(from) > MAX_SPAN_MS[bucket])
          throw new ValidationError(
            'range_too_wide',
            `At most ${MAX_SPAN_MS[bucket] / DAY_MS} days of ${bucket} buckets per request`,
            { bucket, from, to },
          );
        const [rows, names, quotasNow] = await Promise.all([
          usage.series({ ...filter, since: from, until: to, bucket, groupBy }),
          labels(groupBy),
          quotaStatus(usage, quotas, principal),
        ]);
        const series = new Map<string, z.infer<typeof pointSchema>[]>();
        for (const row of rows) {
          const points = series.get(row.key) ?? [];
          points.push({
            at: row.at,
            calls: row.calls,
            promptTokens: row.inputTokens,
            completionTokens: row.outputTokens,
            costUsd: row.cost,
          });
          series.set(row.key, points);
        }
        return {
          bucket,
          from,
          to,
          series: [...series].map(([key, points]) => ({
            key,
            label: names.get(key) ?? key,
            points,
          })),
          quotas: quotasNow,
        };
      },
    );
  };
