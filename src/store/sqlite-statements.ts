import type BetterSqlite3 from 'better-sqlite3';

/** Distinct SQL texts kept prepared; `in (?, ?, …)` lists make a few shapes per query. */
const DEFAULT_CAPACITY = 500;

/**
 * Prepared statements by SQL text, so each query shape is parsed and planned by SQLite once per
 * connection instead of on every call (Kysely's SQLite driver prepares whatever it is given).
 * Least recently used shapes are dropped beyond `capacity`. A statement still being iterated is
 * busy and cannot run again, so asking for its text then prepares a fresh, uncached one.
 *
 * @example
 *   const statements = new StatementCache(raw);
 *   const kysely = new Kysely({ dialect: new SqliteDialect({ database: statements.database }) });
 */
export class StatementCache {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly raw: BetterSqlite3.Database,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  prepare(sql: string): BetterSqlite3.Statement {
    const cached = this.statements.get(sql);
    if (cached) {
      if (cached.busy) return this.raw.prepare(sql);
      // Re-inserting moves the text to the young end of the map's insertion order.
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = this.raw.prepare(sql);
    this.statements.set(sql, statement);
    if (this.statements.size > this.capacity) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    return statement;
  }

  /** How many shapes are held (for tests and diagnostics). */
  get size(): number {
    return this.statements.size;
  }

  /** The connection as Kysely's `SqliteDialect` takes it, preparing through this cache. */
  get database(): { prepare(sql: string): BetterSqlite3.Statement; close(): void } {
    return {
      prepare: (sql) => this.prepare(sql),
      close: () => {
        this.statements.clear();
        this.raw.close();
      },
    };
  }
}
