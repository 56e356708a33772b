/**
 * Invitations: a single-use token, stored only as its hash, that lets an invited user set their
 * password and sign in. Expired and used invitations never work again.
 */
export interface Invite {
  userId: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

export interface InviteStore {
  save(tokenHash: string, invite: Omit<Invite, 'usedAt'>): Promise<void>;
  find(tokenHash: string): Promise<Invite | undefined>;
  /** Marks the invitation used; false when it already was (even by a concurrent call). */
  use(tokenHash: string, at: string): Promise<boolean>;
}
