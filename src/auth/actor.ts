import type { Principal } from './principal.js';

/**
 * How a caller is named in audit records: `user:<email>`, `api-key:<id>` (a key is its own
 * actor, whoever owns it), or `local` for the single user of a laptop install with sign-in off.
 */
export function actorOf(principal: Principal): string {
  if (principal.kind === 'api-key') return `api-key:${principal.apiKeyId ?? principal.userId}`;
  if (principal.kind === 'local') return 'local';
  return `user:${principal.email ?? principal.userId}`;
}
