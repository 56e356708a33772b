import type { Kysely } from 'kysely';
import { type AuditChainLock, AuditChainWriter, type AuditSigner } from './audit-chain-writer.js';
import { toAudit } from './rows.js';
import type { Database } from './schema.js';
import {
  type AuditRecord,
  DEFAULT_WORKSPACE,
  type PolicyActivation,
  type PolicyVersionRecord,
  type StoredAuditRecord,
} from './store.js';

function toPolicyVersion(row: {
  version: string;
  files: string;
  created_at: string;
}): PolicyVersionRecord {
  return {
    version: row.version,
    files: JSON.parse(row.files) as Record<string, string>,
    createdAt: row.created_at,
  };
}

/** Policy versions, activations and the hash-chained audit log on any Kysely dialect. */
export class KyselyGovernance {
  /** `readDb` serves listings and may be a replica; lookups that decide an activation use `db`. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readDb: Kysely<Database> = db,
    lockAuditChain: AuditChainLock = async () => {},
  ) {
    this.auditWriter = new AuditChainWriter(db, lockAuditChain);
  }

  private readonly auditWriter: AuditChainWriter;

  async savePolicyVersion(record: PolicyVersionRecord): Promise<void> {
    await this.db
      .insertInto('policy_versions')
      .values({
        version: record.version,
        files: JSON.stringify(record.files),
        created_at: record.createdAt,
      })
      .onConflict((conflict) => conflict.column('version').doNothing())
      .execute();
  }

  async getPolicyVersion(version: string): Promise<PolicyVersionRecord | undefined> {
    const row = await this.db
      .selectFrom('policy_versions')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
    return row && toPolicyVersion(row);
  }

  async findPolicyVersions(prefix: string): Promise<PolicyVersionRecord[]> {
    const rows = await this.db
      .selectFrom('policy_versions')
      .selectAll()
      .where('version', 'like', `${prefix.replace(/[%_]/g, '')}%`)
      .execute();
    return rows.map(toPolicyVersion);
  }

  async listPolicyVersions(): Promise<Omit<PolicyVersionRecord, 'files'>[]> {
    const rows = await this.readDb
      .selectFrom('policy_versions')
      .select(['version', 'created_at'])
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((row) => ({ version: row.version, createdAt: row.created_at }));
  }

  async recordActivation(
    activation: Omit<PolicyActivation, 'id' | 'action'> & { action?: PolicyActivation['action'] },
  ): Promise<PolicyActivation> {
    const action = activation.action ?? 'activate';
    const row = await this.db
      .insertInto('policy_activations')
      .values({
        workspace_id: activation.workspaceId,
        version: activation.version,
        previous_version: activation.previousVersion,
        actor: activation.actor,
        reason: activation.reason,
        activated_at: activation.activatedAt,
        action,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, ...activation, action };
  }

  async listActivations(workspaceId = DEFAULT_WORKSPACE, limit = 50): Promise<PolicyActivation[]> {
    const rows = await this.readDb
      .selectFrom('policy_activations')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      workspaceId: row.workspace_id,
      version: row.version,
      previousVersion: row.previous_version,
      actor: row.actor,
      reason: row.reason,
      activatedAt: row.activated_at,
      action: row.action === 'rollback' ? 'rollback' : 'activate',
    }));
  }

  /** Appends to the hash chain; concurrent appends are written together (see the writer). */
  appendAudit(record: AuditRecord, sign: AuditSigner): Promise<StoredAuditRecord> {
    return this.auditWriter.append(record, sign);
  }

  async listAudit(
    options: { limit?: number; traceId?: string } = {},
  ): Promise<StoredAuditRecord[]> {
    let query = this.readDb
      .selectFrom('audit_records')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(options.limit ?? 50);
    if (options.traceId) query = query.where('trace_id', '=', options.traceId);
    return (await query.execute()).map(toAudit);
  }
}
