import { type Kysely, sql } from 'kysely';
import { type Param, prepareQuery } from './prepared-query.js';
import type { Database } from './schema.js';
import type {
  QuotaLimit,
  ReserveResult,
  UsageReservation,
  UsageStore,
  UsageTotals,
} from './usage-store.js';

/**
 * A call counts itself; tokens and cost are known only afterwards, so reaching the limit stops
 * the next call.
 */
export function limitReached(limit: QuotaLimit, used: number): boolean {
  return limit.metric === 'calls' ? used + 1 > limit.limit : used >= limit.limit;
}

/**
 * The usage ledger's dialect-neutral queries. Each adapter adds `reserve`, the one operation
 * whose atomicity depends on how its database serializes writers.
 */
type Settlement = {
  id: number;
  provider: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cost: number;
};

export abstract class KyselyUsageStore implements UsageStore {
  /** Every governed call settles its reservation: compiled once. */
  private readonly settlement;

  /**
   * @param db where writes go
   * @param readDb where reports (totals, daily) are read; a replica when one is configured
   */
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly readDb: Kysely<Database> = db,
  ) {
    this.settlement = prepareQuery('usage-settle', (param: Param<Settlement>) =>
      db
        .updateTable('usage_records')
        .set({
          status: 'settled',
          provider: param('provider'),
          model: param('model'),
          input_tokens: param('inputTokens'),
          output_tokens: param('outputTokens'),
          cost: param('cost'),
        })
        .where('id', '=', param('id')),
    );
  }

  abstract reserve(reservation: UsageReservation, limits: QuotaLimit[]): Promise<ReserveResult>;

  async settle(
    id: number,
    usage: {
      provider: string | null;
      model: string | null;
      inputTokens: number;
      outputTokens: number;
      cost: number;
    },
  ): Promise<void> {
    await this.settlement.run(this.db, { id, ...usage });
  }

  async release(id: number): Promise<void> {
    await this.db
      .updateTable('usage_records')
      .set({ status: 'released' })
      .where('id', '=', id)
      .execute();
  }

  async totals(filter: {
    workspaceId?: string;
    userId?: string;
    since: string;
    until?: string;
  }): Promise<UsageTotals> {
    let query = this.readDb
      .selectFrom('usage_records')
      .select([
        sql<number>`count(*)`.as('calls'),
        sql<number>`coalesce(sum(input_tokens), 0)`.as('inputTokens'),
        sql<number>`coalesce(sum(output_tokens), 0)`.as('outputTokens'),
        sql<number>`coalesce(sum(cost), 0)`.as('cost'),
      ])
      .where('status', '!=', 'released')
      .where('created_at', '>=', filter.since);
    if (filter.until) query = query.where('created_at', '<', filter.until);
    if (filter.workspaceId) query = query.where('workspace_id', '=', filter.workspaceId);
    if (filter.userId) query = query.where('user_id', '=', filter.userId);
    const row = await query.executeTakeFirstOrThrow();
    return {
      calls: Number(row.calls),
      inputTokens: Number(row.inputTokens),
      outputTokens: Number(row.outputTokens),
      cost: Number(row.cost),
    };
  }

  async series(filter: {
    workspaceId?: string;
    userId?: string;
    since: string;
    until: string;
    bucket: 'hour' | 'day';
    groupBy: 'user' | 'workspace';
  }) {
    // ISO-8601 text: the first 13 characters are the UTC hour, the first 10 the UTC day.
    const bucket = sql<string>`substr(created_at, 1, ${sql.lit(filter.bucket === 'hour' ? 13 : 10)})`;
    const key = filter.groupBy === 'user' ? 'user_id' : 'workspace_id';
    let query = this.readDb
      .selectFrom('usage_records')
      .select([
        bucket.as('bucket'),
        sql<string>`${sql.ref(key)}`.as('key'),
        sql<number>`count(*)`.as('calls'),
        sql<number>`coalesce(sum(input_tokens), 0)`.as('inputTokens'),
        sql<number>`coalesce(sum(output_tokens), 0)`.as('outputTokens'),
        sql<number>`coalesce(sum(cost), 0)`.as('cost'),
      ])
      .where('status', '!=', 'released')
      .where('created_at', '>=', filter.since)
      .where('created_at', '<', filter.until)
      .groupBy([bucket, key])
      .orderBy('bucket');
    if (filter.workspaceId) query = query.where('workspace_id', '=', filter.workspaceId);
    if (filter.userId) query = query.where('user_id', '=', filter.userId);
    const rows = await query.execute();
    const suffix = filter.bucket === 'hour' ? ':00:00.000Z' : 'T00:00:00.000Z';
    return rows.map((row) => ({
      at: `${row.bucket}${suffix}`,
      key: row.key,
      calls: Number(row.calls),
      inputTokens: Number(row.inputTokens),
      outputTokens: Number(row.outputTokens),
      cost: Number(row.cost),
    }));
  }

  async daily(filter: { workspaceId?: string; userId?: string; since: string }) {
    // Timestamps are ISO-8601 text in both dialects, so the first ten characters are the UTC day.
    const day = sql<string>`substr(created_at, 1, 10)`;
    let query = this.readDb
      .selectFrom('usage_records')
      .select([
        day.as('day'),
        'user_id',
        'workspace_id',
        sql<number>`count(*)`.as('calls'),
        sql<number>`coalesce(sum(input_tokens), 0)`.as('inputTokens'),
        sql<number>`coalesce(sum(output_tokens), 0)`.as('outputTokens'),
        sql<number>`coalesce(sum(cost), 0)`.as('cost'),
      ])
      .where('status', '!=', 'released')
      .where('created_at', '>=', filter.since)
      .groupBy([day, 'user_id', 'workspace_id'])
      .orderBy('day');
    if (filter.workspaceId) query = query.where('workspace_id', '=', filter.workspaceId);
    if (filter.userId) query = query.where('user_id', '=', filter.userId);
    const rows = await query.execute();
    return rows.map((row) => ({
      day: row.day,
      userId: row.user_id,
      workspaceId: row.workspace_id,
      calls: Number(row.calls),
      inputTokens: Number(row.inputTokens),
      outputTokens: Number(row.outputTokens),
      cost: Number(row.cost),
    }));
  }
}
