import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './schema.js';
import type {
  QuotaLimit,
  ReserveResult,
  UsageReservation,
  UsageStore,
  UsageTotals,
} from './usage-store.js';

const METRIC_SQL: Record<QuotaLimit['metric'], string> = {
  calls: 'count(*)',
  tokens: 'coalesce(sum(input_tokens + output_tokens), 0)',
  cost: 'coalesce(sum(cost), 0)',
};

/**
 * The usage ledger on SQLite. `reserve` runs as one synchronous IMMEDIATE transaction on the raw
 * connection: nothing can interleave between reading the totals and writing the reservation, in
 * this process or another one sharing the file, which is what makes quotas exact.
 */
export class SqliteUsageStore implements UsageStore {
  private readonly reserveTransaction: (
    reservation: UsageReservation,
    limits: QuotaLimit[],
  ) => ReserveResult;

  constructor(
    private readonly db: Kysely<Database>,
    raw: BetterSqlite3.Database,
  ) {
    const insert = raw.prepare(
      `insert into usage_records (workspace_id, user_id, api_key_id, trace_id, status, created_at)
       values (?, ?, ?, ?, 'reserved', ?)`,
    );
    const used = (limit: QuotaLimit, reservation: UsageReservation): number => {
      const column = limit.scope === 'user' ? 'user_id' : 'workspace_id';
      const owner = limit.scope === 'user' ? reservation.userId : reservation.workspaceId;
      const row = raw
        .prepare(
          `select ${METRIC_SQL[limit.metric]} as used from usage_records
           where ${column} = ? and created_at >= ? and status != 'released'`,
        )
        .get(owner, limit.since) as { used: number };
      return Number(row.used);
    };
    const run = raw.transaction(
      (reservation: UsageReservation, limits: QuotaLimit[]): ReserveResult => {
        for (const limit of limits) {
          const current = used(limit, reservation);
          // A call counts itself; tokens and cost are known only afterwards, so reaching the
          // limit stops the next call.
          const reached =
            limit.metric === 'calls' ? current + 1 > limit.limit : current >= limit.limit;
          if (reached) return { ok: false, exceeded: limit, used: current };
        }
        const info = insert.run(
          reservation.workspaceId,
          reservation.userId,
          reservation.apiKeyId,
          reservation.traceId,
          reservation.createdAt,
        );
        return { ok: true, id: Number(info.lastInsertRowid) };
      },
    );
    this.reserveTransaction = (reservation, limits) => run.immediate(reservation, limits);
  }

  async reserve(reservation: UsageReservation, limits: QuotaLimit[]): Promise<ReserveResult> {
    return this.reserveTransaction(reservation, limits);
  }

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
    await this.db
      .updateTable('usage_records')
      .set({
        status: 'settled',
        provider: usage.provider,
        model: usage.model,
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cost: usage.cost,
      })
      .where('id', '=', id)
      .execute();
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
    let query = this.db
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

  async daily(filter: { workspaceId?: string; userId?: string; since: string }) {
    let query = this.db
      .selectFrom('usage_records')
      .select([
        sql<string>`substr(created_at, 1, 10)`.as('day'),
        'user_id',
        'workspace_id',
        sql<number>`count(*)`.as('calls'),
        sql<number>`coalesce(sum(input_tokens), 0)`.as('inputTokens'),
        sql<number>`coalesce(sum(output_tokens), 0)`.as('outputTokens'),
        sql<number>`coalesce(sum(cost), 0)`.as('cost'),
      ])
      .where('status', '!=', 'released')
      .where('created_at', '>=', filter.since)
      .groupBy([sql`substr(created_at, 1, 10)`, 'user_id', 'workspace_id'])
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
