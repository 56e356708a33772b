import { type Transaction, sql } from 'kysely';
import { type Param, type PreparedQuery, prepareQuery } from './prepared-query.js';
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
  // Compiled on first use (every PostgreSQL store compiles it alike): the audit append takes it on
  // every governed call.
  lock ??= prepareQuery('advisory-lock', (param: Param<{ namespace: number; id: string }>) =>
    sql`select pg_advisory_xact_lock(${param('namespace')}, hashtext(${param('id')}))`.compile(trx),
  );
  await lock.run(trx, { namespace, id });
}

let lock: PreparedQuery<{ namespace: number; id: string }, unknown> | undefined;
