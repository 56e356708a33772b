/**
 * The accounts part of the store port: workspaces, users, sessions (refresh-token families),
 * API keys and settings. `sqlite-accounts.ts` implements it; a PostgreSQL adapter will too.
 */
export type Role = 'admin' | 'manager' | 'user';

export interface Workspace {
  id: string;
  name: string;
  createdAt: string;
}

export interface User {
  id: string;
  email: string;
  role: Role;
  workspaceId: string;
  disabledAt: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface Session {
  id: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface RefreshTokenRecord {
  sessionId: string;
  expiresAt: string;
  usedAt: string | null;
  /** Set at rotation; with the token itself it derives the token's successor. */
  successorSalt: string | null;
}

export interface ApiKeyRecord {
  id: string;
  userId: string;
  workspaceId: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface AccountStore {
  createWorkspace(name: string): Promise<Workspace>;
  getWorkspace(id: string): Promise<Workspace | undefined>;
  listWorkspaces(): Promise<Workspace[]>;

  createUser(user: {
    email: string;
    passwordHash: string;
    role: Role;
    workspaceId: string;
  }): Promise<User>;
  findUserByEmail(email: string): Promise<UserWithSecret | undefined>;
  getUser(id: string): Promise<User | undefined>;
  listUsers(workspaceId?: string): Promise<User[]>;
  countUsers(): Promise<number>;
  updateUser(
    id: string,
    change: {
      role?: Role;
      disabledAt?: string | null;
      lastLoginAt?: string;
      passwordHash?: string;
    },
  ): Promise<void>;

  createSession(userId: string, expiresAt: string): Promise<Session>;
  getSession(id: string): Promise<Session | undefined>;
  revokeSession(id: string, reason: string): Promise<void>;
  revokeUserSessions(userId: string, reason: string): Promise<number>;

  saveRefreshToken(tokenHash: string, sessionId: string, expiresAt: string): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks a refresh token used; false when it already was (a reuse, even a concurrent one). */
  useRefreshToken(tokenHash: string, at: string): Promise<boolean>;
  /**
   * In one transaction: marks the refresh token used (recording `successorSalt`) if it was not,
   * and saves its successor. False when the token was already used, even concurrently.
   */
  rotateRefreshToken(
    tokenHash: string,
    at: string,
    successorSalt: string,
    successor: { tokenHash: string; sessionId: string; expiresAt: string },
  ): Promise<boolean>;

  createApiKey(
    key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt' | 'createdAt'> & { keyHash: string },
  ): Promise<ApiKeyRecord>;
  /**
   * The key with its hash and its owner (absent once the user is gone), read in one query: it
   * runs on every call made with an API key.
   */
  findApiKeyByPrefix(
    prefix: string,
  ): Promise<(ApiKeyRecord & { keyHash: string; owner: User | undefined }) | undefined>;
  listApiKeys(filter: { userId?: string; workspaceId?: string }): Promise<ApiKeyRecord[]>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  revokeApiKey(id: string, at: string): Promise<void>;
  touchApiKey(id: string, at: string): Promise<void>;

  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string | null): Promise<void>;
  /**
   * In one transaction: removes the setting `key` if it still holds `value`, and creates `user`
   * if that worked and no user exists yet. Undefined when another call got there first, so of
   * two concurrent calls exactly one creates its user.
   */
  createUserTakingSetting(
    key: string,
    value: string,
    user: { email: string; passwordHash: string; role: Role; workspaceId: string },
  ): Promise<User | undefined>;
}
