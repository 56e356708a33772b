import type { KeelMigration } from './dialect.js';

/**
 * Set when a refresh token is rotated: with the token itself it derives the successor, so a
 * second refresh within the grace window returns the same successor instead of a logout.
 */
export const refreshTokenSuccessor: KeelMigration = {
  async up(db) {
    await db.schema.alterTable('refresh_tokens').addColumn('successor_salt', 'text').execute();
  },
};
