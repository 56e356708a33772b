import { createHash, createHmac } from 'node:crypto';
import type { ChatResult } from '../../providers/provider.js';
import type { AuditStore } from '../../store/store.js';
import type { Agent } from '../policy-bundle.js';
import type { CallLog, Step } from '../step.js';

/** What a call got to, wherever it ended: a refused input has no agent yet, a failed one no result. */
export interface AuditInput {
  log: CallLog;
  agent?: Agent | undefined;
  knowledgeVersions: Record<string, string>;
  result?: ChatResult | undefined;
}

/**
 * Chains each record to the previous one: an HMAC keyed by KEEL_SECRET when set, so edits to
 * the audit table are detectable; a plain SHA-256 chain otherwise.
 */
export function auditSigner(secret: string | undefined) {
  return (payload: string, previousHash: string | null): string => {
    const data = `${previousHash ?? ''}\n${payload}`;
    return secret
      ? createHmac('sha256', secret).update(data).digest('hex')
      : createHash('sha256').update(data).digest('hex');
  };
}

/** Writes one audit record per call: versions, model, tokens, latency, every step's decision. */
export function createAuditStep(deps: {
  store: AuditStore;
  secret: string | undefined;
  kind: string;
}): Step<AuditInput, void> {
  const sign = auditSigner(deps.secret);
  return {
    id: 'audit',
    async run({ log, agent, knowledgeVersions, result }, call) {
      const stored = await deps.store.appendAudit(
        {
          traceId: call.traceId,
          workspaceId: call.workspaceId,
          createdAt: new Date().toISOString(),
          kind: deps.kind,
          policyVersion: call.bundle.version,
          promptVersion: agent?.promptVersion ?? null,
          agent: agent?.id ?? null,
          provider: result?.provider ?? null,
          model: result?.model ?? null,
          knowledgeVersions,
          inputTokens: result?.usage.inputTokens ?? 0,
          outputTokens: result?.usage.outputTokens ?? 0,
          latencyMs: Date.now() - call.startedAt,
          decision: log.decision.status,
          steps: log.steps,
          ...(call.actor && { actor: call.actor }),
        },
        sign,
      );
      return { decision: 'recorded', reasons: [`audit #${stored.id}`], output: undefined };
    },
  };
}
