import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { KeelError } from '../errors.js';
import { STATEMENT_NAME_PREFIX } from './prepared-query.js';
import type { Database } from './schema.js';

/** A statement running longer than this is cancelled, so a bad query cannot hold a connection. */
export const STATEMENT_TIMEOUT_MS = 30_000;
/** Waiting this long for a connection means the server or the pool is saturated: fail, don't hang. */
const CONNECT_TIMEOUT_MS = 10_000;
/** A session idle inside a transaction (a crashed caller) is ended, releasing its locks. */
const IDLE_IN_TRANSACTION_MS = 60_000;

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const toNumber = (value: string) => Number(value);

/**
 * Ids (`bigserial`), counts and sums arrive as int8 or numeric, which node-postgres returns as
 * strings; Keel's ids and totals stay far below 2^53, so they are parsed as numbers — for this
 * pool only, not by changing node-postgres's global parsers.
 */
const numericTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? toNumber
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * PostgreSQL is down, restarting or unreachable: a 503 the client may retry, as Redis outages are
 * (`RedisUnavailableError`), rather than a 500 that reads like a bug in Keel.
 */
export class DatabaseUnavailableError extends KeelError {
  constructor(cause: unknown) {
    super(
      'dependency_unavailable',
      'A required service (PostgreSQL) is unavailable; try again shortly.',
      503,
      { dependency: 'postgresql', reason: cause instanceof Error ? cause.message : 'unknown' },
      true,
    );
  }
}

/** Socket-level failures: the server is not there (yet), or the connection died under us. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether an error means "the server cannot be used right now" rather than "this statement is
 * wrong": SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutting down, crashed,
 * starting up), socket errors, and node-postgres's own messages for a dropped connection.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || code.startsWith('08')) return true;
    if (code === '57P01' || code === '57P02' || code === '57P03') return true;
  }
  return /^Connection terminated|^timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    error.message,
  );
}

const translate = (error: unknown) =>
  isConnectionError(error) ? new DatabaseUnavailableError(error) : error;

/**
 * Turns connection failures into `DatabaseUnavailableError` where Kysely meets node-postgres:
 * the promise forms of `pool.connect()` and of each client's `query()`. Callback forms (used by
 * node-postgres internally) and every other error pass through untouched.
 */
function reportOutagesAsUnavailable(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool);
  pool.connect = ((callback?: Parameters<typeof connect>[0]) =>
    callback
      ? connect(callback)
      : connect().catch((error: unknown) => {
          throw translate(error);
        })) as typeof pool.connect;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const result = query(...args);
      return result instanceof Promise
        ? result.catch((error: unknown) => {
            throw translate(error);
          })
        : result;
    }) as typeof client.query;
  });
}

/** SQLSTATE 0A000 on a named statement: its table changed shape (a migration) since it was prepared. */
const CACHED_PLAN_CHANGED = '0A000';

/**
 * Sends the queries `prepareQuery` compiled (their SQL starts `/* keel:<name> *\/`) as named
 * statements: node-postgres parses each once per connection and then only binds and executes,
 * so PostgreSQL skips parsing and, once its plan cache settles, planning on every call. A
 * statement whose table changed under it (another replica migrated) fails with 0A000; it is
 * then retried unnamed and sent unnamed on that connection from then on.
 */
function prepareNamedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const unnamed = new Set<string>();
  client.query = ((...args: unknown[]) => {
    const [text, values] = args;
    if (
      typeof text !== 'string' ||
      !text.startsWith(STATEMENT_NAME_PREFIX) ||
      args.length > 2 ||
      unnamed.has(text)
    )
      return query(...args);
    const name = text.slice(STATEMENT_NAME_PREFIX.length, text.indexOf(' */'));
    return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== CACHED_PLAN_CHANGED) throw error;
      unnamed.add(text);
      // Inside a transaction the failure aborted it and the retry fails too: report the cause.
      return (query(text, values) as Promise<unknown>).catch(() => {
        throw error;
      });
    });
  }) as typeof client.query;
}

export interface PoolOptions {
  url: string;
  max: number;
  /** `false` for the migration pool: building an index on a large table may take minutes. */
  statementTimeoutMs?: number | false;
  /** Told about errors of idle connections (a restarted server); the pool replaces them. */
  onError: (error: Error) => void;
}

/** A bounded `pg.Pool` whose dropped connections are reported instead of crashing the process. */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    statement_timeout: options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'keel',
    types: numericTypes,
  });
  // A connection's 'error' event (server restart, network cut) with no listener is uncaught and
  // ends the process. Checked-out clients have no pool listener, so each client gets one; the
  // pool re-emits idle clients' errors, already reported, after discarding them.
  pool.on('connect', (client) => client.on('error', options.onError));
  pool.on('error', () => {});
  pool.on('connect', prepareNamedStatements);
  reportOutagesAsUnavailable(pool);
  return pool;
}

export function kyselyFor(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
