import type { Kysely, Transaction } from 'kysely';
import { toAudit } from './rows.js';
import type { Database } from './schema.js';
import {
  type AuditRecord,
  DEFAULT_WORKSPACE,
  type PolicyActivation,
  type PolicyVersionRecord,
  type StoredAuditRecord,
} from './store.js';

/**
 * Runs first inside the audit append's transaction. An adapter whose database lets two
 * transactions read the same "last record" (PostgreSQL) takes a lock here so the chain never
 * forks; SQLite's single writer needs nothing.
 */
export type AuditChainLock = (trx: Transaction<Database>) => Promise<void>;

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
    private readonly lockAuditChain: AuditChainLock = async () => {},
  ) {}

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

  async appendAudit(
    record: AuditRecord,
    sign: (payload: string, previousHash: string | null) => string,
  ): Promise<StoredAuditRecord> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockAuditChain(trx);
      const last = await trx
        .selectFrom('audit_records')
        .select('hash')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const previousHash = last?.hash ?? null;
      const hash = sign(JSON.stringify(record), previousHash);
      const row = await trx
        .insertInto('audit_records')
        .values({
          trace_id: record.traceId,
          workspace_id: record.workspaceId,
          created_at: record.createdAt,
          kind: record.kind,
          policy_version: record.policyVersion,
          prompt_version: record.promptVersion,
          agent: record.agent,
          provider: record.provider,
          model: record.model,
          knowledge_versions: JSON.stringify(record.knowledgeVersions),
          input_tokens: record.inputTokens,
          output_tokens: record.outputTokens,
          latency_ms: record.latencyMs,
          decision: record.decision,
          steps: JSON.stringify(record.steps),
          previous_hash: previousHash,
          hash,
          actor: record.actor ?? null,
          target: record.target ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...record, id: row.id, previousHash, hash };
    });
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
