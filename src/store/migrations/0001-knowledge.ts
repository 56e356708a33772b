import { type Kysely, sql } from 'kysely';
import type { KeelMigration } from './dialect.js';

/** Sources, their documents and chunks, sync errors and knowledge versions; lexical search. */
export const knowledge: KeelMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('sources')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('workspace_id', 'text', (column) => column.notNull().defaultTo('default'))
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull().check(sql`kind in ('folder', 'git')`))
      .addColumn('location', 'text', (column) => column.notNull())
      .addColumn('config', 'text', (column) => column.notNull().defaultTo('{}'))
      .addColumn('version', 'text')
      .addColumn('last_sync_at', 'text')
      .addColumn('last_sync_status', 'text', (column) => column.notNull().defaultTo('never'))
      .addColumn('last_sync_message', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addUniqueConstraint('sources_workspace_id_name_key', ['workspace_id', 'name'])
      .execute();
    await db.schema
      .createTable('documents')
      .addColumn('id', dialect.id, (column) => column.primaryKey())
      .addColumn('source_id', 'text', (column) =>
        column.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('path', 'text', (column) => column.notNull())
      .addColumn('content_hash', 'text', (column) => column.notNull())
      .addColumn('version', 'text', (column) => column.notNull())
      .addColumn('title', 'text', (column) => column.notNull())
      .addColumn('chunk_count', 'integer', (column) => column.notNull())
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .addUniqueConstraint('documents_source_id_path_key', ['source_id', 'path'])
      .execute();
    await db.schema
      .createTable('chunks')
      .addColumn('id', dialect.id, (column) => column.primaryKey())
      .addColumn('document_id', dialect.bigint, (column) =>
        column.notNull().references('documents.id').onDelete('cascade'),
      )
      .addColumn('source_id', 'text', (column) => column.notNull())
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('ordinal', 'integer', (column) => column.notNull())
      .addColumn('heading', 'text', (column) => column.notNull())
      .addColumn('line_start', 'integer', (column) => column.notNull())
      .addColumn('line_end', 'integer', (column) => column.notNull())
      .addColumn('text', 'text', (column) => column.notNull())
      .addColumn('token_count', 'integer', (column) => column.notNull())
      .addColumn('embedded', 'integer', (column) => column.notNull().defaultTo(0))
      .$call((table) =>
        // Heading words weigh more than body words (A over B), as FTS5's bm25 weights 2.0 and 1.0.
        dialect.name === 'postgres'
          ? table.addColumn('search_vector', sql`tsvector`, (column) =>
              column
                .notNull()
                .generatedAlwaysAs(
                  sql`setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', text), 'B')`,
                )
                .stored(),
            )
          : table,
      )
      .execute();
    await db.schema.createIndex('chunks_by_document').on('chunks').column('document_id').execute();
    await db.schema
      .createIndex('chunks_by_source')
      .on('chunks')
      .columns(['source_id', 'embedded'])
      .execute();
    if (dialect.name === 'sqlite') await createFullTextIndex(db);
    else {
      await db.schema
        .createIndex('chunks_search')
        .on('chunks')
        .using('gin')
        .column('search_vector')
        .execute();
      await createChunkStatistics(db);
    }
    await db.schema
      .createTable('sync_errors')
      .addColumn('source_id', 'text', (column) =>
        column.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('path', 'text', (column) => column.notNull())
      .addColumn('message', 'text', (column) => column.notNull())
      .addColumn('occurred_at', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('sync_errors_by_source')
      .on('sync_errors')
      .column('source_id')
      .execute();
    await db.schema
      .createTable('knowledge_versions')
      .addColumn('id', dialect.id, (column) => column.primaryKey())
      .addColumn('source_id', 'text', (column) =>
        column.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('version', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('documents', 'integer', (column) => column.notNull())
      .addColumn('chunks', 'integer', (column) => column.notNull())
      .addColumn('added', 'integer', (column) => column.notNull())
      .addColumn('updated', 'integer', (column) => column.notNull())
      .addColumn('removed', 'integer', (column) => column.notNull())
      .addColumn('errors', 'integer', (column) => column.notNull())
      .execute();
  },
};

/** SQLite: an external-content FTS5 index; the text lives once, in `chunks`, triggers keep it in step. */
async function createFullTextIndex(db: Kysely<unknown>): Promise<void> {
  await sql`
    create virtual table chunks_fts using fts5 (
      heading, text, content = 'chunks', content_rowid = 'id',
      tokenize = 'porter unicode61 remove_diacritics 2'
    )`.execute(db);
  await sql`
    create trigger chunks_after_insert after insert on chunks begin
      insert into chunks_fts (rowid, heading, text) values (new.id, new.heading, new.text);
    end`.execute(db);
  await sql`
    create trigger chunks_after_delete after delete on chunks begin
      insert into chunks_fts (chunks_fts, rowid, heading, text)
        values ('delete', old.id, old.heading, old.text);
    end`.execute(db);
}

/**
 * PostgreSQL: BM25 needs the number of chunks and their mean length on every search; counting
 * them would scan the whole table each time. Statement triggers keep one running total per
 * source instead (per source, so syncs of different sources never wait on the same row). Chunks
 * are inserted and deleted, never edited apart from `embedded`, so insert and delete are all
 * they follow. (SQLite's FTS5 keeps these totals itself.)
 */
async function createChunkStatistics(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table chunk_statistics (
      source_id text primary key,
      chunks bigint not null,
      tokens bigint not null
    )`.execute(db);
  await sql`
    create function chunk_statistics_add() returns trigger
    language plpgsql set search_path from current as $$
    begin
      insert into chunk_statistics as total (source_id, chunks, tokens)
        select source_id, count(*), sum(token_count) from added_chunks group by source_id
      on conflict (source_id) do update
        set chunks = total.chunks + excluded.chunks, tokens = total.tokens + excluded.tokens;
      return null;
    end $$`.execute(db);
  await sql`
    create function chunk_statistics_subtract() returns trigger
    language plpgsql set search_path from current as $$
    begin
      update chunk_statistics as total
        set chunks = total.chunks - gone.chunks, tokens = total.tokens - gone.tokens
        from (select source_id, count(*) as chunks, sum(token_count) as tokens
              from removed_chunks group by source_id) as gone
        where total.source_id = gone.source_id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger chunks_counted_in after insert on chunks
    referencing new table as added_chunks
    for each statement execute function chunk_statistics_add()`.execute(db);
  await sql`
    create trigger chunks_counted_out after delete on chunks
    referencing old table as removed_chunks
    for each statement execute function chunk_statistics_subtract()`.execute(db);
}
