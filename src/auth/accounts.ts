import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccountStore, Role, User } from '../store/account-store.js';
import { DEFAULT_WORKSPACE } from '../store/store.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { AuthenticationError, ForbiddenError } from './errors.js';
import type { PasswordHasher } from './passwords.js';
import { assertStrongPassword } from './passwords.js';
import { type Principal, canAccessWorkspace, userPrincipal } from './principal.js';
import type { TokenService } from './tokens.js';
import { hashToken, newOpaqueToken } from './tokens.js';

function safeEqual(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const SETUP_TOKEN_KEY = 'setup_token_hash';

/** The successor of a refresh token: an HMAC of the token under the salt stored at rotation. */
function successorToken(refreshToken: string, salt: string): string {
  return `keelrt_${createHmac('sha256', salt).update(refreshToken).digest('base64url')}`;
}
const INVALID_LOGIN = 'E-mail or password is wrong';
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,63}$/;

/**
 * Users, sign-in and sessions. A session is a refresh-token family: each refresh rotates the
 * token, and presenting a used token again revokes the whole family (it was stolen or replayed).
 * Logout and disabling a user revoke sessions, and access tokens die with their session
 * because every request checks it.
 */
export class AccountService {
  constructor(
    private readonly store: AccountStore,
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly options: {
      refreshTtlSeconds: number;
      openRegistration: boolean;
      /** Seconds a just-rotated refresh token still returns the same successor (default 10). */
      refreshReuseGraceSeconds?: number;
    },
  ) {}

  async createUser(input: {
    email: string;
    password: string;
    role: Role;
    workspaceId: string;
  }): Promise<User> {
    return this.store.createUser(await this.checkedNewUser(input));
  }

  /** Validates a new account and hashes its password; throws the 4xx a caller should see. */
  private async checkedNewUser(input: {
    email: string;
    password: string;
    role: Role;
    workspaceId: string;
  }): Promise<{ email: string; passwordHash: string; role: Role; workspaceId: string }> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email))
      throw new ValidationError('email_invalid', 'That is not an e-mail address', {
        field: 'email',
      });
    await assertStrongPassword(input.password, [email]);
    if (!(await this.store.getWorkspace(input.workspaceId))) {
      throw new NotFoundError('workspace_not_found', `No workspace ${input.workspaceId}`);
    }
    if (await this.store.findUserByEmail(email)) {
      throw new ConflictError('email_taken', 'An account with that e-mail address exists', {
        field: 'email',
      });
    }
    const passwordHash = await this.passwords.hash(input.password);
    return { email, passwordHash, role: input.role, workspaceId: input.workspaceId };
  }

  /** Open sign-up (unless `KEEL_OPEN_REGISTRATION=false`): a user of the default workspace. */
  async register(input: { email: string; password: string }): Promise<User> {
    if (!this.options.openRegistration) {
      throw new ForbiddenError(
        'registration_closed',
        'Registration is closed; ask an administrator for an account',
      );
    }
    if ((await this.store.countUsers()) === 0) {
      throw new ForbiddenError(
        'setup_required',
        'Create the first admin with the setup token first (POST /v1/auth/setup)',
      );
    }
    return this.createUser({ ...input, role: 'user', workspaceId: DEFAULT_WORKSPACE });
  }

  /**
   * While no user exists, a one-time setup token (printed at start) creates the first admin.
   * Returns the new token to print, or undefined once accounts exist. Only its hash is kept.
   */
  async issueSetupToken(): Promise<string | undefined> {
    if ((await this.store.countUsers()) > 0) {
      await this.store.setSetting(SETUP_TOKEN_KEY, null);
      return undefined;
    }
    const token = newOpaqueToken('keelsetup');
    await this.store.setSetting(SETUP_TOKEN_KEY, hashToken(token));
    return token;
  }

  /**
   * Creates the first admin. Taking the setup token and creating the user happen in one store
   * transaction, so of two concurrent requests with the right token exactly one makes an admin;
   * the other gets 409 `setup_done`.
   */
  async setup(input: { setupToken: string; email: string; password: string }): Promise<User> {
    const stored = await this.store.getSetting(SETUP_TOKEN_KEY);
    const matches = stored !== undefined && safeEqual(stored, hashToken(input.setupToken));
    if (!matches || (await this.store.countUsers()) > 0) {
      throw new AuthenticationError(
        'invalid_setup_token',
        'The setup token is wrong or was already used',
      );
    }
    const admin = await this.store.createUserTakingSetting(
      SETUP_TOKEN_KEY,
      stored,
      await this.checkedNewUser({
        email: input.email,
        password: input.password,
        role: 'admin',
        workspaceId: DEFAULT_WORKSPACE,
      }),
    );
    if (!admin) {
      throw new ConflictError('setup_done', 'The first admin has already been created; sign in');
    }
    return admin;
  }

  /**
   * Checks a password. Unknown e-mail, wrong password and disabled account give the same error
   * after the same Argon2id work, so neither the message nor the timing tells them apart.
   */
  async login(email: string, password: string): Promise<{ user: User; tokens: TokenPair }> {
    const user = await this.store.findUserByEmail(email.trim());
    const valid = user
      ? await this.passwords.verify(user.passwordHash, password)
      : await this.passwords.verifyAgainstNothing(password);
    if (!user || !valid || user.disabledAt)
      throw new AuthenticationError('invalid_credentials', INVALID_LOGIN);
    // Parameters raised since this hash was made apply from the next successful sign-in on.
    const rehash = this.passwords.needsRehash(user.passwordHash)
      ? await this.passwords.hash(password)
      : undefined;
    if (rehash) await this.store.updateUser(user.id, { passwordHash: rehash });
    const { passwordHash: _secret, ...publicUser } = user;
    return { user: publicUser, tokens: await this.startSession(publicUser) };
  }

  /** A new session (refresh-token family) for a user whose credentials were just checked. */
  async startSession(user: User): Promise<TokenPair> {
    await this.store.updateUser(user.id, { lastLoginAt: new Date().toISOString() });
    const expiresAt = new Date(Date.now() + this.options.refreshTtlSeconds * 1000).toISOString();
    const session = await this.store.createSession(user.id, expiresAt);
    return this.issue(user, session.id, expiresAt);
  }

  private async issue(user: User, sessionId: string, sessionExpiresAt: string): Promise<TokenPair> {
    const refreshToken = newOpaqueToken('keelrt');
    await this.store.saveRefreshToken(hashToken(refreshToken), sessionId, sessionExpiresAt);
    return this.withAccessToken(user, sessionId, refreshToken);
  }

  private async withAccessToken(
    user: User,
    sessionId: string,
    refreshToken: string,
  ): Promise<TokenPair> {
    const access = await this.tokens.issueAccessToken({
      userId: user.id,
      workspaceId: user.workspaceId,
      role: user.role,
      sessionId,
    });
    return { accessToken: access.token, refreshToken, expiresIn: access.expiresIn };
  }

  /**
   * Rotates a refresh token. The successor is derived from the token and a random salt stored
   * at rotation, so a second refresh with the same token within the grace window (two tabs
   * refreshing together) gets the same successor instead of a logout; neither the token alone
   * nor the database alone can derive it. A token used again after the window, or whose
   * successor was already used, revokes its whole family.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const invalid = () =>
      new AuthenticationError(
        'invalid_refresh_token',
        'The refresh token is not valid; sign in again',
      );
    const tokenHash = hashToken(refreshToken);
    let record = await this.store.findRefreshToken(tokenHash);
    if (!record) throw invalid();
    const session = await this.store.getSession(record.sessionId);
    if (!session || session.revokedAt || Date.parse(record.expiresAt) <= Date.now())
      throw invalid();
    const user = await this.store.getUser(session.userId);
    if (!user || user.disabledAt) throw invalid();
    if (!record.usedAt) {
      const salt = randomBytes(16).toString('base64url');
      const successor = successorToken(refreshToken, salt);
      const rotated = await this.store.rotateRefreshToken(
        tokenHash,
        new Date().toISOString(),
        salt,
        { tokenHash: hashToken(successor), sessionId: session.id, expiresAt: session.expiresAt },
      );
      if (rotated) return this.withAccessToken(user, session.id, successor);
      // Another request rotated it a moment ago: the grace rule below decides.
      record = (await this.store.findRefreshToken(tokenHash)) ?? record;
    }
    const graceMs = (this.options.refreshReuseGraceSeconds ?? 10) * 1000;
    if (
      record.usedAt &&
      record.successorSalt &&
      Date.now() - Date.parse(record.usedAt) <= graceMs
    ) {
      const successor = successorToken(refreshToken, record.successorSalt);
      const next = await this.store.findRefreshToken(hashToken(successor));
      if (next && !next.usedAt) return this.withAccessToken(user, session.id, successor);
    }
    await this.store.revokeSession(session.id, 'refresh token reused');
    throw new AuthenticationError(
      'refresh_token_reused',
      'This refresh token was already used; every session of that sign-in has been ended',
    );
  }

  /** Changes a password after checking the current one; every session of the user ends. */
  async changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const user = await this.store.getUser(principal.userId);
    const stored = user && (await this.store.findUserByEmail(user.email));
    if (!stored || !(await this.passwords.verify(stored.passwordHash, currentPassword))) {
      throw new AuthenticationError('invalid_credentials', 'The current password is wrong');
    }
    await this.setPassword(stored.id, newPassword);
  }

  /** Sets a password (an operator's reset, or after the check above); every session ends. */
  async setPassword(userId: string, password: string): Promise<void> {
    await assertStrongPassword(password);
    await this.store.updateUser(userId, { passwordHash: await this.passwords.hash(password) });
    await this.store.revokeUserSessions(userId, 'password changed');
  }

  async logout(principal: Principal, everywhere: boolean): Promise<void> {
    if (everywhere || !principal.sessionId)
      await this.store.revokeUserSessions(principal.userId, 'logout everywhere');
    else await this.store.revokeSession(principal.sessionId, 'logout');
  }

  async logoutWithRefreshToken(refreshToken: string): Promise<void> {
    const record = await this.store.findRefreshToken(hashToken(refreshToken));
    if (record) await this.store.revokeSession(record.sessionId, 'logout');
  }

  /** Disabling ends every session at once; API keys stop working because every check reads the user. */
  async setDisabled(actor: Principal, userId: string, disabled: boolean): Promise<User> {
    const user = await this.visibleUser(actor, userId);
    if (user.id === actor.userId)
      throw new ValidationError('cannot_disable_self', 'You cannot disable your own account');
    if (user.role === 'admin' && actor.role !== 'admin')
      throw new ForbiddenError('role_required', 'Only an admin can disable an admin');
    if (disabled && user.role === 'admin') await this.assertAnotherAdmin(user.id);
    await this.store.updateUser(user.id, {
      disabledAt: disabled ? new Date().toISOString() : null,
    });
    if (disabled) await this.store.revokeUserSessions(user.id, 'user disabled');
    return (await this.store.getUser(user.id))!;
  }

  async setRole(actor: Principal, userId: string, role: Role): Promise<User> {
    const user = await this.visibleUser(actor, userId);
    if ((role === 'admin' || user.role === 'admin') && actor.role !== 'admin') {
      throw new ForbiddenError('role_required', 'Only an admin can grant or remove the admin role');
    }
    if (user.role === 'admin' && role !== 'admin') await this.assertAnotherAdmin(user.id);
    await this.store.updateUser(user.id, { role });
    await this.store.revokeUserSessions(user.id, 'role changed');
    return (await this.store.getUser(user.id))!;
  }

  /** Keel must keep an enabled admin: without one only the CLI could recover. */
  private async assertAnotherAdmin(userId: string): Promise<void> {
    const admins = (await this.store.listUsers()).filter(
      (user) => user.role === 'admin' && !user.disabledAt,
    );
    if (!admins.some((admin) => admin.id !== userId)) {
      throw new ConflictError(
        'last_admin',
        'This is the last enabled admin; make someone else admin first',
      );
    }
  }

  async visibleUser(actor: Principal, userId: string): Promise<User> {
    const user = await this.store.getUser(userId);
    if (!user || !canAccessWorkspace(actor, user.workspaceId))
      throw new NotFoundError('user_not_found', `No user ${userId}`);
    return user;
  }

  /** Resolves a verified access token to a principal; the session and user must still be live. */
  async principalFromAccessToken(token: string): Promise<Principal> {
    const claims = await this.tokens.verifyAccessToken(token);
    const [session, user] = await Promise.all([
      this.store.getSession(claims.sid),
      this.store.getUser(claims.sub),
    ]);
    if (!session || session.revokedAt || session.userId !== claims.sub) {
      throw new AuthenticationError('session_ended', 'This session has ended; sign in again');
    }
    if (!user || user.disabledAt)
      throw new AuthenticationError('account_disabled', 'This account is disabled');
    return userPrincipal(user, session.id);
  }
}
