import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type Param, prepareQuery } from './prepared-query.js';

interface Items {
  items: { id: number; name: string; kind: string | null };
}

describe('prepareQuery', () => {
  const open: Kysely<Items>[] = [];
  const database = () => {
    const raw = new BetterSqlite3(':memory:');
    raw.exec('create table items (id integer primary key, name text not null, kind text)');
    raw.exec("insert into items (name, kind) values ('a', 'x'), ('b', 'y'), ('c', null)");
    const db = new Kysely<Items>({ dialect: new SqliteDialect({ database: raw }) });
    open.push(db);
    return db;
  };
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy();
  });

  it('binds each call its own values and keeps the constants it was built with', async () => {
    const db = database();
    const byKind = prepareQuery('items-by-kind', (param: Param<{ kind: string; after: number }>) =>
      db
        .selectFrom('items')
        .select('name')
        .where('kind', '=', param('kind'))
        .where('id', '>', param('after'))
        .where('name', '!=', 'z')
        .orderBy('id'),
    );
    expect(await byKind.all(db, { kind: 'x', after: 0 })).toEqual([{ name: 'a' }]);
    expect(await byKind.all(db, { kind: 'y', after: 0 })).toEqual([{ name: 'b' }]);
    expect(await byKind.all(db, { kind: 'y', after: 2 })).toEqual([]);
    expect(byKind.sql).toMatch(/^\/\* keel:items-by-kind-[0-9a-f]{12} \*\/ select/);
  });

  it('writes inside the transaction it is given', async () => {
    const db = database();
    const rename = prepareQuery('rename-item', (param: Param<{ id: number; name: string }>) =>
      db
        .updateTable('items')
        .set({ name: param('name') })
        .where('id', '=', param('id')),
    );
    await db
      .transaction()
      .execute(async (trx) => {
        await rename.run(trx, { id: 1, name: 'renamed' });
        throw new Error('roll back');
      })
      .catch(() => {});
    await rename.run(db, { id: 2, name: 'kept' });
    const names = await db.selectFrom('items').select('name').orderBy('id').execute();
    expect(names.map((row) => row.name)).toEqual(['a', 'kept', 'c']);
  });

  it('refuses a missing value instead of binding it as NULL', async () => {
    const db = database();
    const byKind = prepareQuery('items-by-kind', (param: Param<{ kind: string | null }>) =>
      db.selectFrom('items').select('name').where('kind', 'is', param('kind')),
    );
    expect(await byKind.all(db, { kind: null })).toEqual([{ name: 'c' }]);
    await expect(byKind.all(db, {} as { kind: null })).rejects.toThrow('no value for "kind"');
  });
});
