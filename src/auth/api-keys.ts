import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { NotFoundError, ValidationError } from '../errors.js';
import type { AccountStore, ApiKeyRecord, Role } from '../store/account-store.js';
import { generateApiKey, looksLikeApiKey, parseApiKey } from './api-key-format.js';
import { AuthenticationError, ForbiddenError } from './errors.js';
import type { Principal, Scope } from './principal.js';
import { canAccessWorkspace } from './principal.js';

/** The scopes each role may put on a key: a key never holds more than its owner. */
const GRANTABLE: Record<Role, Scope[]> = {
  user: ['chat', 'kb:read'],
  manager: ['chat', 'kb:read', 'kb:write'],
  admin: ['chat', 'kb:read', 'kb:write', 'admin'],
};

/** Writing last-used on every request would turn reads into writes; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Scoped API keys: shown once, stored as a SHA-256 hash under a visible prefix, revocable, with
 * an optional expiry. A key works only while its owner is enabled, checked on every request.
 */
export class ApiKeyService {
  constructor(private readonly store: AccountStore) {}

  async create(
    owner: Principal,
    input: { name: string; scopes: Scope[]; expiresAt?: string },
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    if (owner.kind === 'api-key')
      throw new ForbiddenError('api_key_cannot_create_keys', 'API keys cannot create API keys');
    const allowed = GRANTABLE[owner.role];
    const denied = input.scopes.filter((scope) => !allowed.includes(scope));
    if (denied.length > 0) {
      throw new ForbiddenError(
        'scope_not_grantable',
        `Your role (${owner.role}) cannot grant: ${denied.join(', ')}`,
        { denied },
      );
    }
    if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now()) {
      throw new ValidationError('expiry_in_past', 'expiresAt must be in the future', {
        field: 'expiresAt',
      });
    }
    const { key, prefix, hash } = generateApiKey();
    const record = await this.store.createApiKey({
      id: `key_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      userId: owner.userId,
      workspaceId: owner.workspaceId,
      name: input.name,
      prefix,
      keyHash: hash,
      scopes: [...new Set(input.scopes)],
      expiresAt: input.expiresAt ?? null,
    });
    return { key, record };
  }

  /** Own keys; managers see their workspace's, admins every key. */
  async list(principal: Principal): Promise<ApiKeyRecord[]> {
    if (principal.role === 'admin') return this.store.listApiKeys({});
    if (principal.role === 'manager')
      return this.store.listApiKeys({ workspaceId: principal.workspaceId });
    return this.store.listApiKeys({ userId: principal.userId });
  }

  async revoke(principal: Principal, id: string): Promise<ApiKeyRecord> {
    const key = await this.store.getApiKey(id);
    const mayRevoke =
      key &&
      (key.userId === principal.userId ||
        (principal.role !== 'user' && canAccessWorkspace(principal, key.workspaceId)));
    if (!key || !mayRevoke) throw new NotFoundError('api_key_not_found', `No API key ${id}`);
    // As with disabling: a manager runs the workspace's users, not the admins who work in it.
    if (key.userId !== principal.userId && principal.role !== 'admin') {
      const owner = await this.store.getUser(key.userId);
      if (owner?.role === 'admin')
        throw new ForbiddenError('role_required', 'Only an admin can revoke an admin’s API key');
    }
    await this.store.revokeApiKey(id, new Date().toISOString());
    return (await this.store.getApiKey(id))!;
  }

  looksLikeKey(text: string): boolean {
    return looksLikeApiKey(text);
  }

  /** The API-key half of the one authentication check. */
  async authenticate(text: string): Promise<Principal> {
    // Made only when thrown: an error captures its stack, and most keys presented are valid.
    const invalid = () => new AuthenticationError('invalid_api_key', 'The API key is not valid');
    const parsed = parseApiKey(text);
    if (!parsed) throw invalid();
    const key = await this.store.findApiKeyByPrefix(parsed.prefix);
    const presented = createHash('sha256').update(text).digest();
    if (!key || !timingSafeEqual(presented, Buffer.from(key.keyHash, 'hex'))) throw invalid();
    if (key.revokedAt) throw new AuthenticationError('api_key_revoked', 'This API key was revoked');
    if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) {
      throw new AuthenticationError('api_key_expired', 'This API key has expired');
    }
    const user = key.owner;
    if (!user || user.disabledAt)
      throw new AuthenticationError('account_disabled', 'The owner of this API key is disabled');
    if (!key.lastUsedAt || Date.now() - Date.parse(key.lastUsedAt) > TOUCH_INTERVAL_MS) {
      await this.store.touchApiKey(key.id, new Date().toISOString());
    }
    return {
      kind: 'api-key',
      userId: user.id,
      email: user.email,
      workspaceId: key.workspaceId,
      role: user.role,
      scopes: key.scopes as Scope[],
      apiKeyId: key.id,
      sessionId: null,
    };
  }
}
