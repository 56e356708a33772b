import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { KeelError } from '../errors.js';
import type { VectorIndex } from './vector-index.js';
import type { NewerSchema } from './migrate.js';
import type { PostgresStore } from './postgres.js';
import type { Store } from './store.js';

export interface Storage {
  store: Store;
  /** Shares the store's database: sqlite-vec in the same file, or pgvector on the same pools. */
  vectorIndex: VectorIndex;
  /** Where the data lives, fit for a log line or a CLI message: no user name or password. */
  location: string;
}

/** `postgres://user:secret@db:5432/keel?sslmode=require` → `postgres://db:5432/keel`. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** Driver messages rarely quote a connection string, but a log line must never carry one. */
const withoutCredentials = (message: string) =>
  message.replace(/\/\/[^/\s@]+@/g, '//***@').replace(/password=\S+/gi, 'password=***');

/**
 * Opens the store and vector index the configuration asks for, migrating the schema first:
 * PostgreSQL with pgvector when `DATABASE_URL` is set, else the SQLite file in the data folder.
 *
 * @example
 *   const { store, vectorIndex } = await openStorage(config, { logger });
 */
export async function openStorage(
  config: Config,
  options: { logger: Logger; newerSchema?: NewerSchema },
): Promise<Storage> {
  const { url, readUrl, poolMax } = config.database;
  // Each backend's driver loads only when it is the one configured (a CLI call stays quick).
  if (!url) {
    const [{ SqliteStore }, { SqliteVectorIndex }] = await Promise.all([
      import('./sqlite.js'),
      import('./vector-index-sqlite.js'),
    ]);
    const file = join(config.dataDir, 'keel.db');
    const store = await SqliteStore.open(file, options.newerSchema);
    return { store, vectorIndex: new SqliteVectorIndex(store.raw), location: file };
  }
  const [{ PostgresStore }, { PostgresVectorIndex }] = await Promise.all([
    import('./postgres.js'),
    import('./vector-index-postgres.js'),
  ]);
  const location = describeDatabaseUrl(url);
  let store: PostgresStore;
  try {
    store = await PostgresStore.open({
      url,
      readUrl,
      poolMax,
      ...(options.newerSchema && { newerSchema: options.newerSchema }),
      // The pool replaces the broken connection; requests in flight fail, readiness reports it.
      onConnectionError: (error) =>
        options.logger.error(
          { err: withoutCredentials(error.message), code: (error as { code?: string }).code },
          'PostgreSQL connection lost',
        ),
    });
  } catch (error) {
    // A failed migration says so itself; an unreachable server is named (without credentials),
    // since at start-up the operator's next question is which server.
    if (error instanceof KeelError && error.code !== 'dependency_unavailable') throw error;
    const reason =
      error instanceof KeelError && typeof error.details.reason === 'string'
        ? error.details.reason
        : (error as Error).message;
    throw new KeelError(
      'dependency_unavailable',
      `Cannot open PostgreSQL at ${location}: ${withoutCredentials(reason)}`,
      503,
      { dependency: 'postgresql' },
      true,
    );
  }
  const vectorIndex = new PostgresVectorIndex({ db: store.db, readDb: store.readDb });
  return { store, vectorIndex, location };
}
