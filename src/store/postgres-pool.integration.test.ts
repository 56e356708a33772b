import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../../test/helpers/postgres-database.js';
import { createPool, kyselyFor } from './postgres-pool.js';
import { type Param, prepareQuery } from './prepared-query.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('named statements on PostgreSQL', () => {
  it('prepares a compiled query once per connection and survives its table changing', async () => {
    const db = kyselyFor(
      createPool({ url: await database.freshSchemaUrl(), max: 1, onError: () => {} }),
    );
    try {
      await sql`create table items (id integer primary key, name text not null)`.execute(db);
      await sql`insert into items values (1, 'a'), (2, 'b')`.execute(db);
      const byId = prepareQuery('item-by-id', (param: Param<{ id: number }>) =>
        sql<Record<string, unknown>>`select * from items where id = ${param('id')}`.compile(db),
      );
      expect(await byId.all(db, { id: 1 })).toEqual([{ id: 1, name: 'a' }]);
      expect(await byId.all(db, { id: 2 })).toEqual([{ id: 2, name: 'b' }]);
      const prepared = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(
        db,
      );
      expect(prepared.rows.map((row) => row.name)).toEqual([
        byId.sql.slice(8, byId.sql.indexOf(' */')),
      ]);
      // Another replica migrates: `select *` now has another column than when it was prepared.
      await sql`alter table items add column kind text`.execute(db);
      expect(await byId.all(db, { id: 2 })).toEqual([{ id: 2, name: 'b', kind: null }]);
      expect(await byId.all(db, { id: 1 })).toEqual([{ id: 1, name: 'a', kind: null }]);
    } finally {
      await db.destroy();
    }
  });
});
