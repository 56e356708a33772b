import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres-database.js';
import { postgresSchemaDump, sqliteSchemaDump } from '../../../test/helpers/schema-dump.js';
import { PostgresStore } from '../postgres.js';
import { SqliteStore } from '../sqlite.js';

/**
 * The schema the migrations build, pinned: the dumps were taken from the migrations as they
 * shipped, so a database an earlier release migrated has the same tables and the same recorded
 * migration names, and a new release finds nothing to redo. A new migration changes the dumps
 * (`npx vitest run src/store/migrations -u`); a change to a shipped one must not.
 */
describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('build the pinned SQLite schema', async () => {
    const store = await SqliteStore.open(':memory:');
    const dump = sqliteSchemaDump(store.raw);
    await store.close();
    await expect(dump).toMatchFileSnapshot('./__snapshots__/sqlite-schema.txt');
  });

  it('build the pinned PostgreSQL schema', async () => {
    const url = await database.freshSchemaUrl();
    await (await PostgresStore.open({ url, poolMax: 2 })).close();
    await expect(await postgresSchemaDump(url)).toMatchFileSnapshot(
      './__snapshots__/postgres-schema.txt',
    );
  });
});
