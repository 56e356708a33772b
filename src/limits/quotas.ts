import type { Principal } from '../auth/principal.js';
import type { Config } from '../config/config.js';
import type { TokenUsage } from '../providers/provider.js';
import type { QuotaLimit, UsageStore } from '../store/usage-store.js';
import { QuotaExceededError } from './errors.js';
import { type CalendarPeriod, periodEnd, periodStart } from './periods.js';
import type { PriceTable } from '../config/price-table.js';
import { costOf } from './prices.js';

type Quotas = Config['limits']['quotas'];

/** Every configured limit that applies to this principal now, with the start of its period. */
function applicableLimits(quotas: Quotas, now: Date): QuotaLimit[] {
  const limits: QuotaLimit[] = [];
  for (const scope of ['user', 'workspace'] as const) {
    for (const period of ['day', 'month'] as const) {
      const numbers = quotas[scope]?.[period];
      for (const metric of ['calls', 'tokens', 'cost'] as const) {
        const limit = numbers?.[metric];
        if (limit !== undefined)
          limits.push({
            scope,
            period,
            metric,
            limit,
            since: periodStart(now, period).toISOString(),
          });
      }
    }
  }
  return limits;
}

/** Whose quotas a call spends: a request's principal, or the user and workspace a job runs for. */
export type QuotaHolder = Pick<Principal, 'workspaceId' | 'userId' | 'apiKeyId'>;

export interface QuotaTicket {
  settle(result: {
    provider: string | null;
    model: string | null;
    usage: TokenUsage;
  }): Promise<void>;
  release(): Promise<void>;
}

/**
 * Token and cost quotas around a governed call: `reserve` before (atomic, so a quota of N calls
 * admits exactly N concurrent callers), `settle` after with the real usage and its cost, or
 * `release` when no model was called.
 *
 * @example
 *   const ticket = await quotas.reserve(principal, traceId);
 *   try { const answer = await governor.answer(…); await ticket.settle(answer); }
 *   catch (error) { await ticket.release(); throw error; }
 */
export class QuotaService {
  constructor(
    private readonly usage: UsageStore,
    private readonly quotas: Quotas,
    private readonly prices: PriceTable,
  ) {}

  async reserve(principal: QuotaHolder, traceId: string, now = new Date()): Promise<QuotaTicket> {
    const result = await this.usage.reserve(
      {
        workspaceId: principal.workspaceId,
        userId: principal.userId,
        apiKeyId: principal.apiKeyId,
        traceId,
        createdAt: now.toISOString(),
      },
      applicableLimits(this.quotas, now),
    );
    if (!result.ok) {
      const { scope, period, metric, limit } = result.exceeded;
      throw new QuotaExceededError({
        scope,
        period: period as CalendarPeriod,
        metric,
        limit,
        used: result.used,
        resetsAt: periodEnd(now, period).toISOString(),
      });
    }
    const id = result.id;
    return {
      settle: async ({ provider, model, usage }) => {
        const cost = provider && model ? costOf(this.prices, provider, model, usage) : 0;
        await this.usage.settle(id, {
          provider,
          model,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          cost,
        });
      },
      release: () => this.usage.release(id),
    };
  }
}
