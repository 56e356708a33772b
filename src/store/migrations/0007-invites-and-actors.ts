import type { KeelMigration } from './dialect.js';

/**
 * Who made an audited call and whether an activation was a rollback, for the audit and policy
 * screens; invitations are single-use tokens stored hashed, like refresh tokens.
 */
export const invitesAndActors: KeelMigration = {
  async up(db) {
    await db.schema.alterTable('audit_records').addColumn('actor', 'text').execute();
    await db.schema
      .createIndex('audit_by_workspace')
      .on('audit_records')
      .columns(['workspace_id', 'id'])
      .execute();
    await db.schema
      .alterTable('policy_activations')
      .addColumn('action', 'text', (column) => column.notNull().defaultTo('activate'))
      .execute();
    await db.schema
      .createTable('invites')
      .addColumn('token_hash', 'text', (column) => column.primaryKey())
      .addColumn('user_id', 'text', (column) =>
        column.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('created_by', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'text', (column) => column.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await db.schema.createIndex('invites_by_user').on('invites').column('user_id').execute();
  },
};
