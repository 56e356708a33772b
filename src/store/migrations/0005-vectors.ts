import { sql } from 'kysely';
import type { KeelMigration } from './dialect.js';

/**
 * PostgreSQL only: on SQLite, sqlite-vec keeps its own table beside the store
 * (search/vector-index-sqlite). The vector table itself is made by the index's prepare(), once
 * the embedder's dimension is known; here only what needs privileges or must exist before the
 * first prepare.
 */
export const vectors: KeelMigration = {
  only: 'postgres',
  async up(db) {
    // A no-op where an administrator already installed pgvector (a role without CREATE on the
    // database can then still migrate); otherwise this role must be allowed to install it.
    await sql`create extension if not exists vector`.execute(db);
    await db.schema
      .createTable('vector_meta')
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('dimensions', 'integer', (column) => column.notNull())
      .execute();
  },
};
