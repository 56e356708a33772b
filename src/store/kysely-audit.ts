import type { Kysely } from 'kysely';
import { toAudit } from './rows.js';
import type { Database } from './schema.js';
import type { AuditQuery, StoredAuditRecord } from './store.js';

/**
 * The audit log filtered for people reading it: newest first, paged by id (ids only grow, so a
 * page boundary never skips or repeats a record while new ones are appended).
 */
export async function searchAudit(
  db: Kysely<Database>,
  query: AuditQuery,
): Promise<StoredAuditRecord[]> {
  let select = db.selectFrom('audit_records').selectAll().orderBy('id', 'desc').limit(query.limit);
  if (query.workspaceId) select = select.where('workspace_id', '=', query.workspaceId);
  if (query.action) select = select.where('kind', '=', query.action);
  if (query.actor) select = select.where('actor', '=', query.actor);
  if (query.from) select = select.where('created_at', '>=', query.from);
  if (query.to) select = select.where('created_at', '<', query.to);
  if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId);
  return (await select.execute()).map(toAudit);
}
