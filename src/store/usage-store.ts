/**
 * The usage ledger: one record per governed call, reserved before the call and settled after,
 * so quotas are exact under concurrency (a reservation counts the moment it is made).
 */
export type QuotaMetric = 'calls' | 'tokens' | 'cost';
export type QuotaPeriod = 'day' | 'month';
export type QuotaScope = 'user' | 'workspace';

export interface QuotaLimit {
  scope: QuotaScope;
  period: QuotaPeriod;
  metric: QuotaMetric;
  limit: number;
  /** Start of the period (ISO): a UTC day start, as usage is counted in whole UTC days. */
  since: string;
}

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

export interface UsageReservation {
  workspaceId: string;
  userId: string;
  apiKeyId: string | null;
  traceId: string;
  createdAt: string;
}

export type ReserveResult =
  { ok: true; id: number } | { ok: false; exceeded: QuotaLimit; used: number };

export interface UsageStore {
  /** Atomically checks every limit and, if none is reached, records a reservation. */
  reserve(reservation: UsageReservation, limits: QuotaLimit[]): Promise<ReserveResult>;
  settle(
    id: number,
    usage: {
      provider: string | null;
      model: string | null;
      inputTokens: number;
      outputTokens: number;
      cost: number;
    },
  ): Promise<void>;
  /** The call never reached a model (refused, failed): it does not count. */
  release(id: number): Promise<void>;
  totals(filter: {
    workspaceId?: string;
    userId?: string;
    since: string;
    until?: string;
  }): Promise<UsageTotals>;
  /**
   * Token and cost totals per UTC hour or day and per user or workspace, for charts; buckets
   * with no calls are absent. `at` is the bucket's start (ISO).
   */
  series(filter: {
    workspaceId?: string;
    userId?: string;
    since: string;
    until: string;
    bucket: 'hour' | 'day';
    groupBy: 'user' | 'workspace';
  }): Promise<({ at: string; key: string } & UsageTotals)[]>;
  /** Per UTC day and per user, for charts. */
  daily(filter: {
    workspaceId?: string;
    userId?: string;
    since: string;
  }): Promise<({ day: string; userId: string; workspaceId: string } & UsageTotals)[]>;
}
