import type { FastifyRequest } from 'fastify';
import { actorOf } from '../auth/actor.js';
import { appendAdminAudit } from '../governor/admin-audit.js';
import type { Keel } from '../keel.js';

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
 * Appends an administrative action to the audit chain, beside the governed calls: who, what, to
 * what, when, under which policy. Called after the action succeeded; a failure to record is
 * logged, not thrown, because the action itself has already taken effect.
 *
 * @example
 *   await recordAdminAction(keel, request, { action: 'user.create', target: `user:${user.id}` });
 */
export async function recordAdminAction(
  keel: Keel,
  request: FastifyRequest,
  { action, target, workspaceId, changes = [] }: AdminAction,
): Promise<void> {
  const { principal } = request;
  try {
    const policy = await keel.policies.current();
    await appendAdminAudit(keel.store, keel.config.secret, {
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
}
