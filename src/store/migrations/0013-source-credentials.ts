import type { KeelMigration } from './dialect.js';

/**
 * A git source's credential, sealed with KEEL_CREDENTIALS_KEY, apart from its URL. Rows that
 * still hold one in the URL are moved at start (sealing needs the key, which migrations do not
 * have: kb/source-credentials.ts).
 */
export const sourceCredentials: KeelMigration = {
  async up(db) {
    await db.schema.alterTable('sources').addColumn('sealed_credential', 'text').execute();
  },
};
