import { type Kysely, type Transaction, sql } from 'kysely';
import { KyselyUsageStore, METRIC_SQL, limitReached } from './kysely-usage.js';
import { LOCK_NAMESPACE, lockForTransaction } from './postgres-locks.js';
import type { Database } from './schema.js';
import type { QuotaLimit, ReserveResult, UsageReservation } from './usage-store.js';

/**
 * The usage ledger on PostgreSQL. `reserve` is one transaction that first takes transaction-level
 * advisory locks on the user and the workspace, then reads the totals and writes the reservation:
 * every process and replica reserving for the same user or workspace queues on the same locks,
 * and a waiter's reads start after the previous holder committed, so quotas stay exact. Locks are
 * always taken user first, then workspace, so two reservations can never wait on each other.
 */
export class PostgresUsageStore extends KyselyUsageStore {
  constructor(db: Kysely<Database>, readDb?: Kysely<Database>) {
    super(db, readDb);
  }

  async reserve(reservation: UsageReservation, limits: QuotaLimit[]): Promise<ReserveResult> {
    return this.db.transaction().execute(async (trx) => {
      await lockForTransaction(trx, LOCK_NAMESPACE.usageUser, reservation.userId);
      await lockForTransaction(trx, LOCK_NAMESPACE.usageWorkspace, reservation.workspaceId);
      for (const limit of limits) {
        const current = await used(trx, limit, reservation);
        if (limitReached(limit, current)) return { ok: false, exceeded: limit, used: current };
      }
      const row = await trx
        .insertInto('usage_records')
        .values({
          workspace_id: reservation.workspaceId,
          user_id: reservation.userId,
          api_key_id: reservation.apiKeyId,
          trace_id: reservation.traceId,
          status: 'reserved',
          provider: null,
          model: null,
          input_tokens: 0,
          output_tokens: 0,
          cost: 0,
          created_at: reservation.createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ok: true, id: row.id };
    });
  }
}

async function used(
  trx: Transaction<Database>,
  limit: QuotaLimit,
  reservation: UsageReservation,
): Promise<number> {
  const owner =
    limit.scope === 'user'
      ? sql`user_id = ${reservation.userId}`
      : sql`workspace_id = ${reservation.workspaceId}`;
  const result = await sql<{ used: number }>`
    select ${sql.raw(METRIC_SQL[limit.metric])} as used from usage_records
    where ${owner} and created_at >= ${limit.since} and status != 'released'`.execute(trx);
  return Number(result.rows[0]?.used ?? 0);
}
