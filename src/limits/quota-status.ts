import type { Principal } from '../auth/principal.js';
import type { Config } from '../config/config.js';
import type { QuotaMetric, QuotaScope, UsageStore, UsageTotals } from '../store/usage-store.js';
import { type CalendarPeriod, periodEnd, periodStart } from './periods.js';

export interface QuotaStatus {
  /** `<scope>.<period>.<metric>`, e.g. `user.day.tokens`. */
  name: string;
  scope: QuotaScope;
  metric: QuotaMetric;
  period: CalendarPeriod;
  used: number;
  limit: number;
  resetsAt: string;
}

function amount(totals: UsageTotals, metric: QuotaMetric): number {
  if (metric === 'calls') return totals.calls;
  if (metric === 'tokens') return totals.inputTokens + totals.outputTokens;
  return totals.cost;
}

/**
 * Every configured quota that applies to the principal, with how much of it is used now: user
 * quotas count the principal's own calls, workspace quotas the whole workspace's.
 *
 * @example
 *   await quotaStatus(store.usage, config.limits.quotas, principal);
 *   // [{ name: 'user.day.calls', used: 12, limit: 200, resetsAt: '…', … }]
 */
export async function quotaStatus(
  usage: UsageStore,
  quotas: Config['limits']['quotas'],
  principal: Principal,
  now = new Date(),
): Promise<QuotaStatus[]> {
  const statuses: QuotaStatus[] = [];
  for (const scope of ['user', 'workspace'] as const) {
    for (const period of ['day', 'month'] as const) {
      const limits = quotas[scope]?.[period];
      if (!limits) continue;
      const totals = await usage.totals({
        ...(scope === 'user'
          ? { userId: principal.userId }
          : { workspaceId: principal.workspaceId }),
        since: periodStart(now, period).toISOString(),
      });
      for (const metric of ['calls', 'tokens', 'cost'] as const) {
        const limit = limits[metric];
        if (limit === undefined) continue;
        statuses.push({
          name: `${scope}.${period}.${metric}`,
          scope,
          metric,
          period,
          used: amount(totals, metric),
          limit,
          resetsAt: periodEnd(now, period).toISOString(),
        });
      }
    }
  }
  return statuses;
}
