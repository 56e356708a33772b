import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import * as sqliteVec from 'sqlite-vec';
import { postgresMigrations, sqliteMigrations } from '../src/store/migrations/index.js';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { createTestDatabase } from '../test/helpers/postgres-database.js';
import { isEntryPoint, writeResult } from './harness.js';

/**
 * What migration 0015-indexed-text costs a database that already holds chunks: N chunks of
 * about 3.6 kB, every third with a link, written at migration 0014, then the time the store's
 * open takes to migrate (re-index) them, on SQLite and on a fresh PostgreSQL database.
 */
const BEFORE = '0014-policy-canaries';
const BATCH = 200;

const chunkText = (index: number) =>
  (index % 3 === 0
    ? `Part ${index}: read [the routing guide](https://github.com/fastify/docs/Routes-${index}.md) on hooks, plugins and decorators. `
    : `Part ${index}: plain prose on hooks, plugins, decorators and the request lifecycle, no link. `
  ).repeat(30);

async function seed(db: Kysely<unknown>, chunks: number): Promise<void> {
  await sql`insert into sources (id, name, kind, location, created_at)
    values ('s1', 'docs', 'folder', '/docs', '2026-01-01')`.execute(db);
  await sql`insert into documents (id, source_id, path, content_hash, version, title, chunk_count, updated_at)
    values (1, 's1', 'a.md', 'h', 'v1', 'A', ${chunks}, '2026-01-01')`.execute(db);
  for (let start = 1; start <= chunks; start += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, chunks - start + 1) }, (_, k) => start + k);
    const rows = ids.map(
      (id) =>
        sql`(${id}, 1, 's1', 'default', ${id}, ${`Part ${id}`}, ${id}, ${id}, ${chunkText(id)}, 700)`,
    );
    await sql`insert into chunks (id, document_id, source_id, workspace_id, ordinal, heading,
      line_start, line_end, text, token_count) values ${sql.join(rows)}`.execute(db);
  }
}

async function timeOpen(open: () => Promise<{ close(): Promise<void> }>): Promise<number> {
  const started = performance.now();
  const store = await open();
  const elapsed = performance.now() - started;
  await store.close();
  return Math.round(elapsed);
}

async function sqliteMigration(chunks: number): Promise<number> {
  const file = join(mkdtempSync(join(tmpdir(), 'keel-bench-reindex-')), 'keel.db');
  const raw = new Database(file);
  sqliteVec.load(raw);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  await new Migrator({ db, provider: { getMigrations: async () => sqliteMigrations } }).migrateTo(
    BEFORE,
  );
  await seed(db, chunks);
  await db.destroy();
  return timeOpen(() => SqliteStore.open(file));
}

async function postgresMigration(chunks: number): Promise<number> {
  const database = await createTestDatabase('keel_bench_reindex');
  try {
    const url = await database.freshSchemaUrl();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const schema = await sql<{ name: string }>`select current_schema() as name`.execute(db);
    await new Migrator({
      db,
      provider: { getMigrations: async () => postgresMigrations },
      migrationTableSchema: schema.rows[0]?.name ?? 'public',
    }).migrateTo(BEFORE);
    await seed(db, chunks);
    await db.destroy();
    return await timeOpen(() => PostgresStore.open({ url, poolMax: 2 }));
  } finally {
    await database.drop();
  }
}

if (isEntryPoint(import.meta.url)) {
  const flag = process.argv.indexOf('--chunks');
  const chunks = flag >= 0 ? Number(process.argv[flag + 1]) : 20_000;
  const sqliteMs = await sqliteMigration(chunks);
  const postgresMs = await postgresMigration(chunks);
  console.log(
    `0015-indexed-text over ${chunks} chunks (${Math.floor(chunks / 3)} with links): SQLite ${sqliteMs} ms, PostgreSQL ${postgresMs} ms`,
  );
  await writeResult('reindex-migration', {
    command: `node bin/run-ts.js bench/reindex-migration.ts --chunks ${chunks}`,
    chunks,
    sqliteMs,
    postgresMs,
  });
}
