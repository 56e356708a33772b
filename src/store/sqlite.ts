import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import * as sqliteVec from 'sqlite-vec';
import { KyselyAccountStore } from './kysely-accounts.js';
import { KyselyStore } from './kysely-store.js';
import { type NewerSchema, migrateToLatest } from './migrate.js';
import { sqliteMigrations } from './migrations/index.js';
import type { Database } from './schema.js';
import { StatementCache } from './sqlite-statements.js';
import { SqliteUsageStore } from './sqlite-usage.js';
import type { LexicalHit } from './store.js';

/**
 * The single-process store: one SQLite file (WAL) with FTS5 for lexical search and sqlite-vec
 * loaded for the vector index, which shares the connection (`raw`). The queries that read the
 * same on PostgreSQL live in the `kysely-*.ts` modules. Statements are prepared once per SQL
 * text (`StatementCache`), for Kysely's queries and the raw ones alike.
 */
export class SqliteStore extends KyselyStore {
  readonly dialect = 'sqlite' as const;
  readonly accounts: KyselyAccountStore;
  readonly usage: SqliteUsageStore;

  private constructor(
    db: Kysely<Database>,
    readonly raw: BetterSqlite3.Database,
    readonly statements: StatementCache,
  ) {
    super(db);
    this.accounts = new KyselyAccountStore(db);
    this.usage = new SqliteUsageStore(db, raw, statements);
  }

  static async open(file: string, newerSchema: NewerSchema = 'accept'): Promise<SqliteStore> {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    sqliteVec.load(raw);
    const statements = new StatementCache(raw);
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: statements.database }),
    });
    await migrateToLatest(
      new Migrator({ db, provider: { getMigrations: async () => sqliteMigrations } }),
      newerSchema,
    );
    return new SqliteStore(db, raw, statements);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async lexicalSearch(
    terms: string[],
    options: { k: number; sourceIds?: string[] },
  ): Promise<LexicalHit[]> {
    if (terms.length === 0 || options.sourceIds?.length === 0) return [];
    // Each term is quoted so FTS5 syntax in user text is matched literally, never parsed.
    // bm25() sums over the query's phrases, so a term listed twice counts twice.
    const match = terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' OR ');
    const sourceFilter = options.sourceIds
      ? sql`and c.source_id in (${sql.join(options.sourceIds)})`
      : sql``;
    const result = await sql<LexicalHit>`
      select c.id as "chunkId", -bm25(chunks_fts, 2.0, 1.0) as score
      from chunks_fts join chunks c on c.id = chunks_fts.rowid
      where chunks_fts match ${match} ${sourceFilter}
      order by bm25(chunks_fts, 2.0, 1.0)
      limit ${options.k}`.execute(this.db);
    return result.rows;
  }
}
