import { type Kysely, sql } from 'kysely';
import { KyselyUsageStore } from './kysely-usage.js';
import { LOCK_NAMESPACE } from './postgres-locks.js';
import { type Param, prepareQuery } from './prepared-query.js';
import type { Database } from './schema.js';
import type { QuotaLimit, ReserveResult, UsageReservation } from './usage-store.js';

/**
 * The usage ledger on PostgreSQL. `reserve` is one call of `keel_reserve_usage` (migration
 * 0010), one transaction that first takes transaction-level advisory locks on the user and the
 * workspace, then reads the totals and writes the reservation: every process and replica
 * reserving for the same user or workspace queues on the same locks, and a waiter's reads start
 * after the previous holder committed, so quotas stay exact. Locks are always taken user first,
 * then workspace, so two reservations can never wait on each other.
 */
type Reservation = UsageReservation & { checks: string };

const reservation = (param: Param<Reservation>) =>
  sql<{ reserved_id: string | number | null; exceeded: number | null; used: number | null }>`
    select reserved_id, exceeded, used from keel_reserve_usage(
      ${LOCK_NAMESPACE.usageUser}::integer, ${LOCK_NAMESPACE.usageWorkspace}::integer,
      ${param('workspaceId')}, ${param('userId')}, ${param('apiKeyId')},
      ${param('traceId')}, ${param('createdAt')}, ${param('checks')}::jsonb
    )`;

export class PostgresUsageStore extends KyselyUsageStore {
  /** Every governed call reserves: compiled once. */
  private readonly reservation;

  constructor(db: Kysely<Database>, readDb?: Kysely<Database>) {
    super(db, readDb);
    this.reservation = prepareQuery('usage-reserve', (param: Param<Reservation>) =>
      reservation(param).compile(db),
    );
  }

  async reserve(reservation: UsageReservation, limits: QuotaLimit[]): Promise<ReserveResult> {
    const checks = limits.map(({ scope, metric, limit, since }) => ({
      scope,
      metric,
      limit,
      since,
    }));
    const row = await this.reservation.takeFirst(this.db, {
      ...reservation,
      checks: JSON.stringify(checks),
    });
    if (!row) throw new Error('keel_reserve_usage returned no row');
    if (row.exceeded !== null) {
      return { ok: false, exceeded: limits[row.exceeded]!, used: Number(row.used) };
    }
    return { ok: true, id: Number(row.reserved_id) };
  }
}
