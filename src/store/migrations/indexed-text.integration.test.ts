import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import * as sqliteVec from 'sqlite-vec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres-database.js';
import { PostgresStore } from '../postgres.js';
import { SqliteStore } from '../sqlite.js';
import { indexedText } from '../indexed-text.js';
import type { KnowledgeStore } from '../store.js';
import { postgresMigrations, sqliteMigrations } from './index.js';

const LINKED = 'Read [the routing guide](https://github.com/fastify/docs/Routes.md) first.';

/**
 * A database migrated by the release before 0015 holds chunks indexed with their link targets;
 * migrating re-indexes them, so a search for a word of a URL no longer finds them.
 */
async function seedBeforeIndexedText(db: Kysely<unknown>, migrations: Migrator): Promise<void> {
  const { error } = await migrations.migrateTo('0014-policy-canaries');
  if (error) throw error;
  await sql`insert into sources (id, name, kind, location, created_at)
    values ('s1', 'docs', 'folder', '/docs', '2026-01-01')`.execute(db);
  await sql`insert into documents (id, source_id, path, content_hash, version, title, chunk_count, updated_at)
    values (1, 's1', 'a.md', 'h', 'v1', 'A', 2, '2026-01-01')`.execute(db);
  await sql`insert into chunks (id, document_id, source_id, workspace_id, ordinal, heading, line_start, line_end, text, token_count)
    values (1, 1, 's1', 'default', 0, 'Guide', 1, 1, ${LINKED}, 20),
      (2, 1, 's1', 'default', 1, 'Plain', 2, 2, 'No links in this routing note.', 10)`.execute(db);
}

/** What the migration stored: a search text for the chunk with a link only. */
async function expectSearchTexts(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ id: number; search_text: string | null }>`
    select id, search_text from chunks order by id`.execute(db);
  expect(rows.map((row) => [Number(row.id), row.search_text])).toEqual([
    [1, indexedText(LINKED)],
    [2, null],
  ]);
}

async function expectReindexed(store: KnowledgeStore): Promise<void> {
  expect(await store.lexicalSearch(['github'], { k: 5 })).toEqual([]);
  const hits = await store.lexicalSearch(['routing'], { k: 5 });
  expect(hits.map((hit) => hit.chunkId).sort()).toEqual([1, 2]);
  expect((await store.getChunks([1]))[0]?.text).toBe(LINKED);
}

describe('migration 0015-indexed-text', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('re-indexes existing SQLite chunks without their link targets', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keel-indexed-text-')), 'keel.db');
    const raw = new Database(file);
    sqliteVec.load(raw);
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => sqliteMigrations },
    });
    await seedBeforeIndexedText(db, migrator);
    const before = await sql`select rowid from chunks_fts where chunks_fts match 'github'`.execute(
      db,
    );
    expect(before.rows).toEqual([{ rowid: 1 }]);
    await db.destroy();
    const store = await SqliteStore.open(file);
    try {
      await expectReindexed(store);
    } finally {
      await store.close();
    }
    const after = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new Database(file) }),
    });
    await expectSearchTexts(after);
    await after.destroy();
  });

  it('re-indexes existing PostgreSQL chunks without their link targets', async () => {
    const url = await database.freshSchemaUrl();
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
    });
    const schema = await sql<{ name: string }>`select current_schema() as name`.execute(db);
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => postgresMigrations },
      migrationTableSchema: schema.rows[0]!.name,
    });
    await seedBeforeIndexedText(db, migrator);
    const store = await PostgresStore.open({ url, poolMax: 2 });
    try {
      await expectReindexed(store);
      await expectSearchTexts(db);
    } finally {
      await store.close();
      await db.destroy();
    }
  });
});
