import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type {
  AccountStore,
  ApiKeyRecord,
  RefreshTokenRecord,
  Role,
  Session,
  User,
  UserWithSecret,
  Workspace,
} from './account-store.js';
import { type Param, prepareQuery } from './prepared-query.js';
import type { Database } from './schema.js';

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 20)}`;

function toUser(row: Selectable<Database['users']>): UserWithSecret {
  return {
    id: row.id,
    email: row.email,
    role: row.role as Role,
    workspaceId: row.workspace_id,
    disabledAt: row.disabled_at,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    passwordHash: row.password_hash,
  };
}

function withoutSecret({ passwordHash: _secret, ...user }: UserWithSecret): User {
  return user;
}

function toApiKey(row: Selectable<Database['api_keys']>): ApiKeyRecord & { keyHash: string } {
  return {
    id: row.id,
    userId: row.user_id,
    workspaceId: row.workspace_id,
    name: row.name,
    prefix: row.prefix,
    scopes: JSON.parse(row.scopes) as string[],
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
    keyHash: row.key_hash,
  };
}

function withoutHash({ keyHash: _hash, ...key }: ApiKeyRecord & { keyHash: string }): ApiKeyRecord {
  return key;
}

function toSession(row: Selectable<Database['sessions']>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * Accounts on any Kysely dialect: every query here means the same on SQLite and PostgreSQL, so
 * both adapters share it. Emails are stored lower-cased so lookups are case-insensitive.
 */
function userRow(user: { email: string; passwordHash: string; role: Role; workspaceId: string }) {
  return {
    id: newId('usr'),
    email: user.email.toLowerCase(),
    password_hash: user.passwordHash,
    role: user.role,
    workspace_id: user.workspaceId,
    disabled_at: null,
    last_login_at: null,
    created_at: new Date().toISOString(),
  };
}

/** An API key with its owner's columns: read on every API-key request, so compiled once. */
const apiKeyByPrefix = (db: Kysely<Database>) =>
  prepareQuery('api-key-by-prefix', (param: Param<{ prefix: string }>) =>
    db
      .selectFrom('api_keys')
      .leftJoin('users', 'users.id', 'api_keys.user_id')
      .selectAll('api_keys')
      .select([
        'users.email as owner_email',
        'users.role as owner_role',
        'users.workspace_id as owner_workspace_id',
        'users.disabled_at as owner_disabled_at',
        'users.last_login_at as owner_last_login_at',
        'users.created_at as owner_created_at',
      ])
      .where('api_keys.prefix', '=', param('prefix')),
  );

export class KyselyAccountStore implements AccountStore {
  private readonly apiKeyByPrefix: ReturnType<typeof apiKeyByPrefix>;

  constructor(private readonly db: Kysely<Database>) {
    this.apiKeyByPrefix = apiKeyByPrefix(db);
  }

  async createWorkspace(name: string): Promise<Workspace> {
    const workspace = { id: newId('ws'), name, created_at: new Date().toISOString() };
    await this.db.insertInto('workspaces').values(workspace).execute();
    return { id: workspace.id, name, createdAt: workspace.created_at };
  }

  async getWorkspace(id: string): Promise<Workspace | undefined> {
    const row = await this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async listWorkspaces(): Promise<Workspace[]> {
    const rows = await this.db.selectFrom('workspaces').selectAll().orderBy('created_at').execute();
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at }));
  }

  async createUserTakingSetting(
    key: string,
    value: string,
    user: { email: string; passwordHash: string; role: Role; workspaceId: string },
  ): Promise<User | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // On PostgreSQL a second transaction waits here on the row lock, then finds no row.
      const taken = await trx
        .deleteFrom('settings')
        .where('key', '=', key)
        .where('value', '=', value)
        .executeTakeFirst();
      if (Number(taken.numDeletedRows) !== 1) return undefined;
      const users = await trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      if (Number(users.count) > 0) return undefined;
      const row = userRow(user);
      await trx.insertInto('users').values(row).execute();
      return withoutSecret(toUser(row));
    });
  }

  async createUser(user: {
    email: string;
    passwordHash: string;
    role: Role;
    workspaceId: string;
  }): Promise<User> {
    const row = userRow(user);
    await this.db.insertInto('users').values(row).execute();
    return withoutSecret(toUser(row));
  }

  async findUserByEmail(email: string): Promise<UserWithSecret | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email.toLowerCase())
      .executeTakeFirst();
    return row && toUser(row);
  }

  async getUser(id: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && withoutSecret(toUser(row));
  }

  async listUsers(workspaceId?: string): Promise<User[]> {
    let query = this.db.selectFrom('users').selectAll().orderBy('created_at');
    if (workspaceId) query = query.where('workspace_id', '=', workspaceId);
    return (await query.execute()).map((row) => withoutSecret(toUser(row)));
  }

  async countUsers(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async updateUser(
    id: string,
    change: {
      role?: Role;
      disabledAt?: string | null;
      lastLoginAt?: string;
      passwordHash?: string;
    },
  ): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        ...(change.role && { role: change.role }),
        ...(change.disabledAt !== undefined && { disabled_at: change.disabledAt }),
        ...(change.lastLoginAt && { last_login_at: change.lastLoginAt }),
        ...(change.passwordHash && { password_hash: change.passwordHash }),
      })
      .where('id', '=', id)
      .execute();
  }

  async createSession(userId: string, expiresAt: string): Promise<Session> {
    const row = {
      id: newId('ses'),
      user_id: userId,
      created_at: new Date().toISOString(),
      expires_at: expiresAt,
      revoked_at: null,
      revoke_reason: null,
    };
    await this.db.insertInto('sessions').values(row).execute();
    return toSession(row);
  }

  async getSession(id: string): Promise<Session | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSession(row);
  }

  async revokeSession(id: string, reason: string): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ revoked_at: new Date().toISOString(), revoke_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeUserSessions(userId: string, reason: string): Promise<number> {
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: new Date().toISOString(), revoke_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async saveRefreshToken(tokenHash: string, sessionId: string, expiresAt: string): Promise<void> {
    await this.db
      .insertInto('refresh_tokens')
      .values({
        token_hash: tokenHash,
        session_id: sessionId,
        created_at: new Date().toISOString(),
        expires_at: expiresAt,
        used_at: null,
        successor_salt: null,
      })
      .execute();
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return (
      row && {
        sessionId: row.session_id,
        expiresAt: row.expires_at,
        usedAt: row.used_at,
        successorSalt: row.successor_salt,
      }
    );
  }

  async rotateRefreshToken(
    tokenHash: string,
    at: string,
    successorSalt: string,
    successor: { tokenHash: string; sessionId: string; expiresAt: string },
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // A concurrent rotation waits here on PostgreSQL's row lock, then updates nothing.
      const used = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: at, successor_salt: successorSalt })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto('refresh_tokens')
        .values({
          token_hash: successor.tokenHash,
          session_id: successor.sessionId,
          created_at: at,
          expires_at: successor.expiresAt,
          used_at: null,
          successor_salt: null,
        })
        .execute();
      return true;
    });
  }

  async useRefreshToken(tokenHash: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ used_at: at })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async createApiKey(
    key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt' | 'createdAt'> & { keyHash: string },
  ): Promise<ApiKeyRecord> {
    const row = {
      id: key.id,
      user_id: key.userId,
      workspace_id: key.workspaceId,
      name: key.name,
      prefix: key.prefix,
      key_hash: key.keyHash,
      scopes: JSON.stringify(key.scopes),
      expires_at: key.expiresAt,
      last_used_at: null,
      revoked_at: null,
      created_at: new Date().toISOString(),
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return withoutHash(toApiKey(row));
  }

  async findApiKeyByPrefix(
    prefix: string,
  ): Promise<(ApiKeyRecord & { keyHash: string; owner: User | undefined }) | undefined> {
    const row = await this.apiKeyByPrefix.takeFirst(this.db, { prefix });
    if (!row) return undefined;
    const owner: User | undefined =
      row.owner_email === null
        ? undefined
        : {
            id: row.user_id,
            email: row.owner_email,
            role: row.owner_role as Role,
            workspaceId: row.owner_workspace_id!,
            disabledAt: row.owner_disabled_at,
            lastLoginAt: row.owner_last_login_at,
            createdAt: row.owner_created_at!,
          };
    return { ...toApiKey(row), owner };
  }

  async listApiKeys(filter: { userId?: string; workspaceId?: string }): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc');
    if (filter.userId) query = query.where('user_id', '=', filter.userId);
    if (filter.workspaceId) query = query.where('workspace_id', '=', filter.workspaceId);
    return (await query.execute()).map((row) => withoutHash(toApiKey(row)));
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && withoutHash(toApiKey(row));
  }

  async revokeApiKey(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.deleteFrom('settings').where('key', '=', key).execute();
      return;
    }
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((conflict) => conflict.column('key').doUpdateSet({ value }))
      .execute();
  }
}
