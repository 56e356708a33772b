import { randomUUID } from 'node:crypto';
import { DEFAULT_WORKSPACE, type AuditStore } from '../store/store.js';
import { auditSigner } from './steps/audit.js';

export interface AdminAuditEntry {
  /** Noun-dot-verb, as the audit log filters by it: `user.create`, `policy.promote`, … */
  action: string;
  /** What it was done to: `user:<id>`, `api-key:<id>`, `policy:<version>`, `source:<id>`. */
  target: string;
  /** Who did it, as the audit log names actors. */
  actor: string;
  /** The policy version in force when it was done. */
  policyVersion: string;
  /** What changed, as short `name: value` lines; never a secret. */
  changes: string[];
  /** The workspace the target belongs to; the default workspace if unset. */
  workspaceId?: string;
  /** The request it was done in; a new id if unset (the CLI, start-up). */
  traceId?: string;
}

/**
 * Appends an administrative action (of the API, the CLI or start-up) to the audit chain, beside
 * the governed calls: who, what, to what, when, under which policy.
 */
export async function appendAdminAudit(
  store: AuditStore,
  secret: string | undefined,
  entry: AdminAuditEntry,
): Promise<void> {
  await store.appendAudit(
    {
      traceId: entry.traceId ?? randomUUID(),
      workspaceId: entry.workspaceId ?? DEFAULT_WORKSPACE,
      createdAt: new Date().toISOString(),
      kind: entry.action,
      policyVersion: entry.policyVersion,
      promptVersion: null,
      agent: null,
      provider: null,
      model: null,
      knowledgeVersions: {},
      inputTokens: 0,
      outputTokens: 0,
      latencyMs: 0,
      decision: 'done',
      steps: [{ id: entry.action, decision: 'done', reasons: entry.changes }],
      actor: entry.actor,
      target: entry.target,
    },
    auditSigner(secret),
  );
}
