import { type Transaction, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * Advisory-lock namespaces (the first key of `pg_advisory_xact_lock(int, int)`), so locks of
 * different kinds never collide even when their ids hash alike.
 */
export const LOCK_NAMESPACE = {
  usageUser: 1,
  usageWorkspace: 2,
  auditChain: 3,
  vectorSchema: 4,
} as const;

/**
 * Takes a transaction-level advisory lock, held until commit or rollback, in every process and
 * replica alike. `hashtext` maps the id onto the lock's 32-bit key; a collision only makes two
 * callers wait for each other, never lets two hold the same lock.
 */
export async function lockForTransaction(
  trx: Transaction<Database>,
  namespace: number,
  id: string,
): Promise<void> {
  await sql`select pg_advisory_xact_lock(${namespace}, hashtext(${id}))`.execute(trx);
}
