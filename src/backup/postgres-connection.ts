import { ConfigError } from '../errors.js';

/**
 * `DATABASE_URL` turned into libpq's `PG*` environment variables for `pg_dump` and `pg_restore`.
 * A URL on their command line would put the password in `ps` output and shell history for every
 * user of the machine to read; the environment of our own child process is not visible that way.
 */
export interface LibpqConnection {
  /** Variables to add to the child's environment. */
  env: Record<string, string>;
  /** The database name, for `pg_restore --dbname` (which otherwise prints SQL instead). */
  database: string;
  /** Strings that must never reach a message: the password, as written and decoded. */
  secrets: string[];
}

/** URL query parameters libpq also understands, and the variable each becomes. */
const QUERY_VARIABLES: Record<string, string> = {
  host: 'PGHOST',
  port: 'PGPORT',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  dbname: 'PGDATABASE',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
};

/**
 * @example
 *   libpqConnection('postgres://keel:s3cret@db:5432/keel?sslmode=require')
 *   // env: { PGHOST: 'db', PGPORT: '5432', PGUSER: 'keel', PGPASSWORD: 's3cret',
 *   //        PGDATABASE: 'keel', PGSSLMODE: 'require' }
 */
export function libpqConnection(url: string): LibpqConnection {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // The value itself is never quoted back: it may hold the password.
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    throw new ConfigError('DATABASE_URL is not a postgres:// URL', [
      { variable: 'DATABASE_URL', message: 'is not a postgres:// URL' },
    ]);
  }
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  const set = (name: string, value: string) => {
    if (value !== '') env[name] = value;
  };
  // IPv6 hosts come bracketed in URLs (`[::1]`); libpq wants them bare.
  set('PGHOST', parsed.hostname.replace(/^\[(.*)\]$/, '$1'));
  set('PGPORT', parsed.port);
  set('PGUSER', decodeURIComponent(parsed.username));
  if (parsed.password) {
    secrets.push(parsed.password, decodeURIComponent(parsed.password));
    set('PGPASSWORD', decodeURIComponent(parsed.password));
  }
  set('PGDATABASE', decodeURIComponent(parsed.pathname.replace(/^\//, '')));
  for (const [name, value] of parsed.searchParams) {
    const variable = QUERY_VARIABLES[name];
    if (!variable) continue; // node-postgres-only settings (e.g. `ssl=true`) mean nothing to libpq
    if (name === 'password') secrets.push(value);
    // node-postgres's `no-verify` is libpq's `require`: encrypted, certificate not checked.
    set(variable, name === 'sslmode' && value === 'no-verify' ? 'require' : value);
  }
  return { env, database: env.PGDATABASE ?? '', secrets: secrets.filter(Boolean) };
}

/** A tool's message without the password or any `//user:password@` it may echo back. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let clean = text.replace(/\/\/[^/\s@]+@/g, '//***@').replace(/password=\S+/gi, 'password=***');
  for (const secret of secrets) clean = clean.replaceAll(secret, '***');
  return clean;
}

/** A libpq connection string naming one database, quoted as libpq requires. */
export function databaseConninfo(database: string): string {
  return `dbname='${database.replace(/[\\']/g, (character) => `\\${character}`)}'`;
}
