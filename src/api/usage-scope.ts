import { ForbiddenError } from '../auth/errors.js';
import { type Principal, assertScope, hasRole } from '../auth/principal.js';

export type UsageScope = 'me' | 'workspace' | 'all';

/**
 * Whose usage a caller may read: their own; a manager their workspace's; an admin everyone's.
 * Returns the ledger filter for it. Other people's usage is an admin read, so an API key needs
 * the `admin` scope for anything beyond `me`.
 */
export function usageFilter(
  principal: Principal,
  scope: UsageScope,
): { userId?: string; workspaceId?: string } {
  if (scope === 'workspace' && !hasRole(principal, 'manager'))
    throw new ForbiddenError('role_required', 'Workspace usage needs the manager role');
  if (scope === 'all' && !hasRole(principal, 'admin'))
    throw new ForbiddenError('role_required', 'All usage needs the admin role');
  if (scope !== 'me') assertScope(principal, 'admin');
  if (scope === 'me') return { userId: principal.userId };
  return scope === 'workspace' ? { workspaceId: principal.workspaceId } : {};
}
