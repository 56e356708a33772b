import type BetterSqlite3 from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

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
  private readonly statements: LRUCache<string, BetterSqlite3.Statement>;

  constructor(
    private readonly raw: BetterSqlite3.Database,
    capacity = DEFAULT_CAPACITY,
  ) {
    this.statements = new LRUCache({ max: capacity });
  }

  prepare(sql: string): BetterSqlite3.Statement {
    const cached = this.statements.get(sql);
    if (cached) return cached.busy ? this.raw.prepare(sql) : cached;
    const statement = this.raw.prepare(sql);
    this.statements.set(sql, statement);
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
