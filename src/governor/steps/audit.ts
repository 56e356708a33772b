import { createHash, createHmac } from 'node:crypto';
import type { AuditStore } from '../../store/store.js';
import type { GovernorStep } from '../step.js';

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
}): GovernorStep {
  const sign = auditSigner(deps.secret);
  return {
    id: 'audit',
    async run(context) {
      const stored = await deps.store.appendAudit(
        {
          traceId: context.traceId,
          workspaceId: context.workspaceId,
          createdAt: new Date().toISOString(),
          kind: deps.kind,
          policyVersion: context.bundle.version,
          promptVersion: context.agent?.promptVersion ?? null,
          agent: context.agent?.id ?? null,
          provider: context.result?.provider ?? null,
          model: context.result?.model ?? null,
          knowledgeVersions: context.knowledgeVersions,
          inputTokens: context.usage.inputTokens,
          outputTokens: context.usage.outputTokens,
          latencyMs: Date.now() - context.startedAt,
          decision: context.decision.status,
          steps: context.steps,
          ...(context.actor && { actor: context.actor }),
        },
        sign,
      );
      return { decision: 'recorded', reasons: [`audit #${stored.id}`] };
    },
  };
}
