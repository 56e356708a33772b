import type { Role, User } from '../store/account-store.js';
import type { ApiKeyScope } from './api-key-format.js';
import { DEFAULT_WORKSPACE } from '../store/store.js';
import { ForbiddenError } from './errors.js';

/** What an API key may do; users hold every scope their role allows. */
export type Scope = ApiKeyScope;

/**
 * Who is calling, resolved once per request by the one authentication check (bearer access
 * token, bearer API key, or nobody when `KEEL_AUTH=off`), and passed to every service.
 */
export interface Principal {
  kind: 'user' | 'api-key' | 'local';
  userId: string;
  email: string | null;
  workspaceId: string;
  role: Role;
  /** An API key's scopes; users and the local principal hold every scope their role allows. */
  scopes: Scope[] | 'all';
  apiKeyId: string | null;
  sessionId: string | null;
}

/** The single user of a laptop install with sign-in off: an admin of the default workspace. */
export const LOCAL_PRINCIPAL: Principal = {
  kind: 'local',
  userId: 'local',
  email: null,
  workspaceId: DEFAULT_WORKSPACE,
  role: 'admin',
  scopes: 'all',
  apiKeyId: null,
  sessionId: null,
};

/** A signed-in user acting for themselves (a session, or the operator at the CLI). */
export function userPrincipal(user: User, sessionId: string | null): Principal {
  return {
    kind: 'user',
    userId: user.id,
    email: user.email,
    workspaceId: user.workspaceId,
    role: user.role,
    scopes: 'all',
    apiKeyId: null,
    sessionId,
  };
}

const RANK: Record<Role, number> = { user: 0, manager: 1, admin: 2 };

export function hasRole(principal: Principal, needed: Role): boolean {
  return RANK[principal.role] >= RANK[needed];
}

export function assertRole(principal: Principal, needed: Role): void {
  if (!hasRole(principal, needed)) {
    throw new ForbiddenError(
      'role_required',
      `This needs the ${needed} role; you are ${principal.role}`,
      {
        needed,
      },
    );
  }
}

export function assertScope(principal: Principal, needed: Scope): void {
  if (
    principal.scopes === 'all' ||
    principal.scopes.includes('admin') ||
    principal.scopes.includes(needed)
  )
    return;
  throw new ForbiddenError('scope_missing', `This API key lacks the "${needed}" scope`, { needed });
}

/**
 * Whether the principal may touch an object of `workspaceId`. Admins may reach every workspace;
 * everyone else only their own. Callers answer 404 (not 403) so ids of other workspaces leak
 * nothing.
 */
export function canAccessWorkspace(principal: Principal, workspaceId: string): boolean {
  return principal.role === 'admin' || principal.workspaceId === workspaceId;
}
