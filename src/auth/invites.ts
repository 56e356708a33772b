import { randomBytes } from 'node:crypto';
import type { AccountStore, Role, User } from '../store/account-store.js';
import type { InviteStore } from '../store/invite-store.js';
import type { AccountService, TokenPair } from './accounts.js';
import { AuthenticationError, ForbiddenError } from './errors.js';
import { assertStrongPassword } from './passwords.js';
import type { Principal } from './principal.js';
import { hashToken, newOpaqueToken } from './tokens.js';

/** An invitation is good for seven days. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Invitations: a manager or admin creates the account and gets a single-use token to hand over;
 * the invited person sets their password with it and is signed in. Until then the account has a
 * random password nobody knows, so it cannot sign in any other way.
 *
 * @example
 *   const { inviteToken } = await invites.invite(principal, { email: 'a@example.com', role: 'user' });
 *   const tokens = await invites.accept(inviteToken, 'a long passphrase of theirs');
 */
export class InviteService {
  constructor(
    private readonly accounts: AccountService,
    private readonly users: AccountStore,
    private readonly invites: InviteStore,
  ) {}

  async invite(
    actor: Principal,
    input: { email: string; role: Role },
    now = new Date(),
  ): Promise<{ user: User; inviteToken: string; expiresAt: string }> {
    if (input.role === 'admin' && actor.role !== 'admin')
      throw new ForbiddenError('role_required', 'Only an admin can invite an admin');
    const user = await this.accounts.createUser({
      email: input.email,
      password: randomBytes(32).toString('base64url'),
      role: input.role,
      workspaceId: actor.workspaceId,
    });
    const inviteToken = newOpaqueToken('keelinv');
    const expiresAt = new Date(now.getTime() + INVITE_TTL_MS).toISOString();
    await this.invites.save(hashToken(inviteToken), {
      userId: user.id,
      createdBy: actor.userId,
      createdAt: now.toISOString(),
      expiresAt,
    });
    return { user, inviteToken, expiresAt };
  }

  /** Sets the invited user's password and signs them in; the token then never works again. */
  async accept(token: string, password: string, now = new Date()): Promise<TokenPair> {
    // Checked first, so a weak password does not use up the invitation.
    await assertStrongPassword(password);
    const invalid = new AuthenticationError(
      'invalid_invite',
      'This invitation is unknown, expired or already used; ask for a new one',
    );
    const tokenHash = hashToken(token);
    const invite = await this.invites.find(tokenHash);
    if (!invite || invite.usedAt || Date.parse(invite.expiresAt) <= now.getTime()) throw invalid;
    const user = await this.users.getUser(invite.userId);
    if (!user || user.disabledAt) throw invalid;
    if (!(await this.invites.use(tokenHash, now.toISOString()))) throw invalid;
    await this.accounts.setPassword(user.id, password);
    return this.accounts.startSession(user);
  }
}
