import { type Kysely, sql } from 'kysely';
import { indexedText } from '../indexed-text.js';
import type { KeelMigration } from './dialect.js';

/** Chunks read and rewritten per round trip while existing chunks are re-indexed. */
const PAGE = 500;

interface ChunkRow {
  id: number;
  heading: string;
  text: string;
}

/**
 * Chunks are indexed for lexical search under `search_text` when it is set: their text without
 * link targets, web addresses and HTML tags (see `indexedText`); null when that is the text
 * itself, so only chunks with links store a second copy. Existing chunks are re-indexed here:
 * on SQLite only those with links (their FTS5 rows are deleted and inserted again); on
 * PostgreSQL the generated `search_vector` is dropped and added again over
 * `coalesce(search_text, text)`, which rewrites the table and rebuilds its GIN index once
 * (PostgreSQL's parser already reads a full URL as one host or URL token, so there the gain is
 * in relative link targets and HTML attributes; the two databases now index the same text).
 * A release from before this migration still works on the result: its chunks have no search
 * text, and the triggers and the generated column fall back to the text.
 */
export const indexedTextColumn: KeelMigration = {
  async up(db, dialect) {
    await db.schema.alterTable('chunks').addColumn('search_text', 'text').execute();
    if (dialect.name === 'sqlite') {
      await indexSearchTextSqlite(db);
      await backfill(db, async (row, searchText) => {
        await sql`insert into chunks_fts (chunks_fts, rowid, heading, text)
          values ('delete', ${row.id}, ${row.heading}, ${row.text})`.execute(db);
        await sql`update chunks set search_text = ${searchText} where id = ${row.id}`.execute(db);
        await sql`insert into chunks_fts (rowid, heading, text)
          values (${row.id}, ${row.heading}, ${searchText})`.execute(db);
      });
      return;
    }
    // Dropped first, so the updates below do not compute a vector that is thrown away.
    await db.schema.alterTable('chunks').dropColumn('search_vector').execute();
    await backfill(db, async (row, searchText) => {
      await sql`update chunks set search_text = ${searchText} where id = ${row.id}`.execute(db);
    });
    await db.schema
      .alterTable('chunks')
      .addColumn('search_vector', sql`tsvector`, (column) =>
        column
          .notNull()
          .generatedAlwaysAs(
            sql`setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', coalesce(search_text, text)), 'B')`,
          )
          .stored(),
      )
      .execute();
    await db.schema
      .createIndex('chunks_search')
      .on('chunks')
      .using('gin')
      .column('search_vector')
      .execute();
  },
};

/** The FTS5 triggers index `search_text` when a chunk has one. */
async function indexSearchTextSqlite(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger chunks_after_insert`.execute(db);
  await sql`drop trigger chunks_after_delete`.execute(db);
  await sql`
    create trigger chunks_after_insert after insert on chunks begin
      insert into chunks_fts (rowid, heading, text)
        values (new.id, new.heading, coalesce(new.search_text, new.text));
    end`.execute(db);
  await sql`
    create trigger chunks_after_delete after delete on chunks begin
      insert into chunks_fts (chunks_fts, rowid, heading, text)
        values ('delete', old.id, old.heading, coalesce(old.search_text, old.text));
    end`.execute(db);
}

/** Calls `store` for each existing chunk whose indexed text differs from its text, by id pages. */
async function backfill(
  db: Kysely<unknown>,
  store: (row: ChunkRow, searchText: string) => Promise<void>,
): Promise<void> {
  for (let after = 0; ;) {
    // Only rows that can hold a link, an address or a tag are read whole.
    const { rows } = await sql<ChunkRow>`
      select id, heading, text from chunks
      where id > ${after} and (text like '%](%' or text like '%://%' or text like '%<%'
        or text like '%]:%')
      order by id limit ${PAGE}`.execute(db);
    for (const row of rows) {
      const searchText = indexedText(row.text);
      if (searchText !== null) await store(row, searchText);
    }
    const last = rows.at(-1);
    if (!last) return;
    after = Number(last.id);
  }
}
