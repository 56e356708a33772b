import type { Kysely } from 'kysely';

/**
 * What a migration needs to know of the database it runs on: which one it is, for the few
 * statements only one of them has (FTS5 and its triggers on SQLite; a generated `tsvector`,
 * PL/pgSQL functions and pgvector on PostgreSQL), and the column types that are spelled
 * differently. Everything else is written once with Kysely's schema builder.
 */
export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** An identity key: SQLite's rowid alias, a `bigserial` on PostgreSQL. */
  id: 'integer' | 'bigserial';
  /** A 64-bit integer, as a column that refers to an identity key holds (SQLite's are all 64-bit). */
  bigint: 'integer' | 'bigint';
  /** A double-precision float (SQLite's `real` is one). */
  float: 'real' | 'double precision';
}

export const sqlite: Dialect = { name: 'sqlite', id: 'integer', bigint: 'integer', float: 'real' };

export const postgres: Dialect = {
  name: 'postgres',
  id: 'bigserial',
  bigint: 'bigint',
  float: 'double precision',
};

/**
 * One migration for both databases; `only` names the one database a migration is for.
 *
 * @example
 *   export const auditTarget: KeelMigration = {
 *     up: (db) => db.schema.alterTable('audit_records').addColumn('target', 'text').execute(),
 *   };
 */
export interface KeelMigration {
  only?: Dialect['name'];
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}
