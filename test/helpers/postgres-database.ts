import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Server the PostgreSQL tests and benchmarks use; any database on it serves for admin commands. */
export const POSTGRES_ADMIN_URL =
  process.env.KEEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** The database itself (public schema). */
  url: string;
  /**
   * A URL whose connections see only a new, empty schema (plus `public`, where pgvector lives):
   * a fresh store per test without creating a database per test.
   */
  freshSchemaUrl(): Promise<string>;
  /** Drops the database, ending connections a failed test may have left open. */
  drop(): Promise<void>;
}

async function runAdmin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Creates `keel_test_<random>` with pgvector installed, so concurrent test files and runs never
 * share tables. Call `drop()` in `afterAll`.
 *
 * @example
 *   const database = await createTestDatabase();
 *   afterAll(() => database.drop());
 *   const store = await PostgresStore.open({ url: await database.freshSchemaUrl(), poolMax: 4 });
 */
export async function createTestDatabase(prefix = 'keel_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await runAdmin(POSTGRES_ADMIN_URL, `create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  await runAdmin(url.href, 'create extension if not exists vector with schema public');
  let schemas = 0;
  return {
    url: url.href,
    async freshSchemaUrl() {
      schemas += 1;
      const schema = `store_${schemas}`;
      await runAdmin(url.href, `create schema ${schema}`);
      const scoped = new URL(url.href);
      scoped.searchParams.set('options', `-c search_path=${schema},public`);
      return scoped.href;
    },
    async drop() {
      await runAdmin(POSTGRES_ADMIN_URL, `drop database if exists ${name} with (force)`);
    },
  };
}
