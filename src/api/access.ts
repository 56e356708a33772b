import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountService } from '../auth/accounts.js';
import type { ApiKeyService } from '../auth/api-keys.js';
import { AuthenticationError, ForbiddenError } from '../auth/errors.js';
import {
  LOCAL_PRINCIPAL,
  type Principal,
  type Scope,
  assertRole,
  assertScope,
} from '../auth/principal.js';
import type { Config } from '../config/config.js';
import { RateLimitedError } from '../limits/errors.js';
import { type RateLimiter, rateLimitHeaders } from '../limits/rate-limiter.js';
import type { Role } from '../store/account-store.js';

/** A route's access rule, declared beside its schema: who may call it and which limit applies. */
export type RouteAccess =
  | { public: true; rateLimit?: 'auth' }
  | { role: Role; scope?: Scope; rateLimit?: 'auth' | 'chat' | 'search'; session?: true };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

const WINDOW_MS = 60_000;

/** What the access check reads: who a credential is, and the per-minute limits. */
export interface AccessDeps {
  authEnabled: boolean;
  limits: Pick<Config['limits'], 'authPerMinute' | 'chatPerMinute' | 'searchPerMinute'>;
  apiKeys: Pick<ApiKeyService, 'looksLikeKey' | 'authenticate'>;
  accounts: Pick<AccountService, 'principalFromAccessToken'>;
  limiter: Pick<RateLimiter, 'consume'>;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1])
    throw new AuthenticationError(
      'invalid_authorization',
      'Use "Authorization: Bearer <access token or API key>"',
    );
  return match[1];
}

/**
 * The one authentication check every request goes through: bearer access token, bearer API key
 * (`keel_…`), or — only with `KEEL_AUTH=off` on loopback — the local single user.
 */
export async function authenticate(
  deps: AccessDeps,
  request: FastifyRequest,
): Promise<Principal | undefined> {
  if (!deps.authEnabled) return LOCAL_PRINCIPAL;
  const credential = bearer(request);
  if (!credential) return undefined;
  if (deps.apiKeys.looksLikeKey(credential)) return deps.apiKeys.authenticate(credential);
  return deps.accounts.principalFromAccessToken(credential);
}

async function applyRateLimit(
  deps: AccessDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  bucket: 'auth' | 'chat' | 'search',
) {
  const { limits } = deps;
  const limit =
    bucket === 'auth'
      ? limits.authPerMinute
      : bucket === 'chat'
        ? limits.chatPerMinute
        : limits.searchPerMinute;
  const principal = request.principal as Principal | undefined;
  const subject =
    bucket === 'auth' || !principal
      ? `ip:${request.ip}`
      : principal.apiKeyId
        ? `api-key:${principal.apiKeyId}`
        : `user:${principal.userId}`;
  const decision = await deps.limiter.consume(`${subject}:${bucket}`, {
    limit,
    windowMs: WINDOW_MS,
  });
  void reply.headers(rateLimitHeaders(decision));
  if (!decision.allowed) throw RateLimitedError.fromDecision(subject.split(':')[0]!, decision);
}

/** onRequest hook: resolves the principal, enforces the route's role, scope and rate limit. */
export function accessHook(deps: AccessDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.is404) return;
    // Routes that declare nothing (a bug) are admin-only: access fails closed.
    const access: RouteAccess = request.routeOptions.config?.access ?? { role: 'admin' };
    if ('public' in access) {
      const principal = await authenticate(deps, request).catch(() => undefined);
      if (principal) request.principal = principal;
      if (access.rateLimit) await applyRateLimit(deps, request, reply, access.rateLimit);
      return;
    }
    const principal = await authenticate(deps, request);
    if (!principal)
      throw new AuthenticationError(
        'authentication_required',
        'Sign in first: send "Authorization: Bearer <access token or API key>"',
      );
    request.principal = principal;
    assertRole(principal, access.role);
    if (access.scope) assertScope(principal, access.scope);
    if (access.session) assertSession(principal);
    if (access.rateLimit) await applyRateLimit(deps, request, reply, access.rateLimit);
  };
}

/** Refuses API keys what only a signed-in person may do (their own chat history). */
export function assertSession(principal: Principal): void {
  if (principal.kind === 'api-key') {
    throw new ForbiddenError(
      'session_required',
      'Sign in with a password for this; API keys cannot',
    );
  }
}
