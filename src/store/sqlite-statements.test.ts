import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_WORKSPACE } from './store.js';
import { SqliteStore } from './sqlite.js';
import { StatementCache } from './sqlite-statements.js';

describe('StatementCache', () => {
  const open: BetterSqlite3.Database[] = [];
  const connection = () => {
    const raw = new BetterSqlite3(':memory:');
    open.push(raw);
    raw.exec('create table items (id integer primary key, name text)');
    raw.exec("insert into items (name) values ('a'), ('b'), ('c')");
    return raw;
  };
  afterEach(() => {
    for (const raw of open.splice(0)) if (raw.open) raw.close();
  });

  it('prepares each SQL text once and hands back the same statement', () => {
    const raw = connection();
    const prepare = vi.spyOn(raw, 'prepare');
    const statements = new StatementCache(raw);
    const first = statements.prepare('select name from items where id = ?');
    const again = statements.prepare('select name from items where id = ?');
    expect(again).toBe(first);
    expect(again.get(2)).toEqual({ name: 'b' });
    expect(prepare).toHaveBeenCalledTimes(1);
    statements.prepare('select count(*) as n from items');
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('drops the least recently used text beyond its capacity', () => {
    const raw = connection();
    const statements = new StatementCache(raw, 2);
    const one = statements.prepare('select 1');
    statements.prepare('select 2');
    statements.prepare('select 1'); // now the youngest
    statements.prepare('select 3'); // evicts "select 2"
    expect(statements.size).toBe(2);
    expect(statements.prepare('select 1')).toBe(one);
    const prepare = vi.spyOn(raw, 'prepare');
    statements.prepare('select 2');
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('prepares a fresh statement while the cached one is still being iterated', () => {
    const raw = connection();
    const statements = new StatementCache(raw);
    const sql = 'select name from items order by id';
    const iterating = statements.prepare(sql).iterate();
    expect(iterating.next().value).toEqual({ name: 'a' });
    const other = statements.prepare(sql);
    expect(other.all()).toHaveLength(3);
    expect(iterating.next().value).toEqual({ name: 'b' });
    iterating.return?.();
  });

  it('closes the connection when Kysely destroys the database', () => {
    const raw = connection();
    const statements = new StatementCache(raw);
    statements.prepare('select 1');
    statements.database.close();
    expect(raw.open).toBe(false);
    expect(statements.size).toBe(0);
  });
});

describe('SqliteStore statements', () => {
  it('runs a repeated store query from one prepared statement', async () => {
    const store = await SqliteStore.open(
      join(mkdtempSync(join(tmpdir(), 'keel-statements-')), 'keel.db'),
    );
    try {
      await store.listSources(DEFAULT_WORKSPACE);
      const prepare = vi.spyOn(store.raw, 'prepare');
      for (let call = 0; call < 5; call += 1) await store.listSources(DEFAULT_WORKSPACE);
      await store.createSource({
        workspaceId: DEFAULT_WORKSPACE,
        name: 'docs',
        kind: 'folder',
        location: '/tmp/docs',
      });
      // The same query now finds the row written after it was prepared.
      const sources = await store.listSources(DEFAULT_WORKSPACE);
      expect(sources.map((source) => source.name)).toEqual(['docs']);
      // Only the insert was new; the five reads and the last one share one statement.
      expect(prepare).toHaveBeenCalledTimes(1);
    } finally {
      await store.close();
    }
  });
});
