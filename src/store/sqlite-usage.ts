import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { KyselyUsageStore, limitReached } from './kysely-usage.js';
import type { Database } from './schema.js';
import type { StatementCache } from './sqlite-statements.js';
import type { QuotaLimit, ReserveResult, UsageReservation } from './usage-store.js';

/**
 * The usage ledger on SQLite. `reserve` runs as one synchronous IMMEDIATE transaction on the raw
 * connection: nothing can interleave between reading the totals and writing the reservation, in
 * this process or another one sharing the file, which is what makes quotas exact.
 */
export class SqliteUsageStore extends KyselyUsageStore {
  private readonly reserveTransaction: (
    reservation: UsageReservation,
    limits: QuotaLimit[],
  ) => ReserveResult;

  constructor(db: Kysely<Database>, raw: BetterSqlite3.Database, statements: StatementCache) {
    super(db);
    const insert = raw.prepare(
      `insert into usage_records (workspace_id, user_id, api_key_id, trace_id, status, created_at)
       values (?, ?, ?, ?, 'reserved', ?)`,
    );
    const used = (limit: QuotaLimit, reservation: UsageReservation): number => {
      const owner = limit.scope === 'user' ? reservation.userId : reservation.workspaceId;
      // usage_days (migration 0010, kept by triggers) has one column per metric, named as it.
      const row = statements
        .prepare(
          `select coalesce(sum(${limit.metric}), 0) as used from usage_days
           where scope = ? and owner_id = ? and day >= substr(?, 1, 10)`,
        )
        .get(limit.scope, owner, limit.since) as { used: number };
      return Number(row.used);
    };
    const run = raw.transaction(
      (reservation: UsageReservation, limits: QuotaLimit[]): ReserveResult => {
        for (const limit of limits) {
          const current = used(limit, reservation);
          if (limitReached(limit, current)) return { ok: false, exceeded: limit, used: current };
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
}
