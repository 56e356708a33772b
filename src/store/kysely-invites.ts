import type { Kysely } from 'kysely';
import type { Invite, InviteStore } from './invite-store.js';
import type { Database } from './schema.js';

/** Invitations on any Kysely dialect; always the primary, since a lagging replica could replay one. */
export class KyselyInvites implements InviteStore {
  constructor(private readonly db: Kysely<Database>) {}

  async save(tokenHash: string, invite: Omit<Invite, 'usedAt'>): Promise<void> {
    await this.db
      .insertInto('invites')
      .values({
        token_hash: tokenHash,
        user_id: invite.userId,
        created_by: invite.createdBy,
        created_at: invite.createdAt,
        expires_at: invite.expiresAt,
      })
      .execute();
  }

  async find(tokenHash: string): Promise<Invite | undefined> {
    const row = await this.db
      .selectFrom('invites')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return (
      row && {
        userId: row.user_id,
        createdBy: row.created_by,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        usedAt: row.used_at,
      }
    );
  }

  async use(tokenHash: string, at: string): Promise<boolean> {
    // One conditional update: of two concurrent acceptances only one changes the row.
    const result = await this.db
      .updateTable('invites')
      .set({ used_at: at })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
