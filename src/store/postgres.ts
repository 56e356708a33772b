import { type Kysely, Migrator, sql } from 'kysely';
import { KyselyAccountStore } from './kysely-accounts.js';
import { KyselyStore } from './kysely-store.js';
import { type NewerSchema, migrateToLatest } from './migrate.js';
import { postgresMigrations } from './migrations/index.js';
import { LOCK_NAMESPACE, lockForTransaction } from './postgres-locks.js';
import { lexicalSearchPostgres } from './postgres-lexical.js';
import { createPool, kyselyFor } from './postgres-pool.js';
import { PostgresUsageStore } from './postgres-usage.js';
import type { Database } from './schema.js';
import type { LexicalHit } from './store.js';

export interface PostgresStoreOptions {
  /** The primary: every write and every read that decides a write. */
  url: string;
  /** A read replica for searches and listings; the primary serves them when unset. */
  readUrl?: string | undefined;
  /** Connections per pool (the replica gets a pool of its own). */
  poolMax: number;
  /** Connection errors the pools survive (a restarted server); default: ignored. */
  onConnectionError?: (error: Error) => void;
  /** A database migrated by a newer release: accepted (default) or refused (`keel migrate`). */
  newerSchema?: NewerSchema;
}

/**
 * The server-mode store: PostgreSQL through pooled connections, lexical search over a weighted
 * `tsvector`, quotas and the audit chain serialized with advisory locks so any number of
 * processes and replicas can share one database. The vector index (pgvector) uses `db`/`readDb`.
 */
export class PostgresStore extends KyselyStore {
  readonly dialect = 'postgres' as const;
  readonly accounts: KyselyAccountStore;
  readonly usage: PostgresUsageStore;

  private constructor(
    db: Kysely<Database>,
    readonly readDb: Kysely<Database>,
  ) {
    // One chain for the whole database: appends from every process queue on the same lock, so
    // each reads the hash its predecessor committed.
    super(db, readDb, (trx) => lockForTransaction(trx, LOCK_NAMESPACE.auditChain, 'audit'));
    // Accounts stay on the primary: a replica that lags could still accept a revoked key.
    this.accounts = new KyselyAccountStore(db);
    this.usage = new PostgresUsageStore(db, readDb);
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const onError = options.onConnectionError ?? (() => {});
    await migrate(options.url, onError, options.newerSchema);
    const db = kyselyFor(createPool({ url: options.url, max: options.poolMax, onError }));
    const readDb = options.readUrl
      ? kyselyFor(createPool({ url: options.readUrl, max: options.poolMax, onError }))
      : db;
    return new PostgresStore(db, readDb);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
    if (this.readDb !== this.db) await sql`select 1`.execute(this.readDb);
  }

  async close(): Promise<void> {
    if (this.readDb !== this.db) await this.readDb.destroy();
    await this.db.destroy();
  }

  lexicalSearch(
    terms: string[],
    options: { k: number; sourceIds?: string[] },
  ): Promise<LexicalHit[]> {
    return lexicalSearchPostgres(this.readDb, terms, options);
  }
}

/**
 * Migrates on a connection of its own without the statement timeout, since a future migration
 * may build an index over a large table. Kysely's migrator holds an advisory lock meanwhile, so
 * replicas starting together migrate once. Its bookkeeping tables go in the schema Keel's tables
 * go in (the first of `search_path`): Kysely would otherwise take another schema's for its own.
 */
async function migrate(
  url: string,
  onError: (error: Error) => void,
  newerSchema: NewerSchema = 'accept',
): Promise<void> {
  const db = kyselyFor(createPool({ url, max: 1, statementTimeoutMs: false, onError }));
  try {
    const schema = await sql<{ name: string }>`select current_schema() as name`.execute(db);
    await migrateToLatest(
      new Migrator({
        db,
        provider: { getMigrations: async () => postgresMigrations },
        ...(schema.rows[0] && { migrationTableSchema: schema.rows[0].name }),
      }),
      newerSchema,
    );
  } finally {
    await db.destroy();
  }
}
