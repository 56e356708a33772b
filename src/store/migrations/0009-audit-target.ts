import type { KeelMigration } from './dialect.js';

/** What an administrative action was done to (a user, a key, a policy version); chats name their agent instead. */
export const auditTarget: KeelMigration = {
  async up(db) {
    await db.schema.alterTable('audit_records').addColumn('target', 'text').execute();
  },
};
