import type { FastifyRequest } from 'fastify';
import { actorOf } from '../auth/actor.js';
import { appendAdminAudit } from '../governor/admin-audit.js';
import type { PolicyService } from '../governor/policy-service.js';
import type { AuditStore } from '../store/store.js';

export interface AdminAction {
  /** Noun-dot-verb, as the audit log filters by it: `user.create`, `api-key.revoke`, … */
  action: string;
  /** What it was done to: `user:<id>`, `api-key:<id>`, `policy:<version>`, `source:<id>`. */
  target: string;
  /** The workspace the target belongs to; the caller's by default. */
  workspaceId?: string;
  /** What changed, as short `name: value` lines; never a secret. */
  changes?: string[];
}

/**
 * Appends an administrative action of a request to the audit chain, beside the governed calls:
 * who, what, to what, when, under which policy. Called after the action succeeded; a failure to
 * record is logged, not thrown, because the action itself has already taken effect.
 *
 * @example
 *   await recordAdminAction(request, { action: 'user.create', target: `user:${user.id}` });
 */
export type RecordAdminAction = (request: FastifyRequest, action: AdminAction) => Promise<void>;

/** The recorder routes use, over the audit chain, the active policy and the chain's secret. */
export function adminActionRecorder(deps: {
  audit: AuditStore;
  policies: Pick<PolicyService, 'current'>;
  secret: string | undefined;
}): RecordAdminAction {
  return async (request, { action, target, workspaceId, changes = [] }) => {
    const { principal } = request;
    try {
      const policy = await deps.policies.current();
      await appendAdminAudit(deps.audit, deps.secret, {
        action,
        target,
        actor: actorOf(principal),
        policyVersion: policy.version,
        changes,
        workspaceId: workspaceId ?? principal.workspaceId,
        traceId: request.id,
      });
    } catch (error) {
      request.log.error({ err: error, action }, 'could not record an administrative action');
    }
  };
}
