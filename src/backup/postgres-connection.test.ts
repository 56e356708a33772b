import { describe, expect, it } from 'vitest';
import { databaseConninfo, libpqConnection, withoutSecrets } from './postgres-connection.js';

describe('DATABASE_URL for pg_dump and pg_restore', () => {
  it('becomes PG* variables, the password among them and nowhere else', () => {
    const connection = libpqConnection(
      'postgres://keel%40prod:p%40ss%2Fword@db.internal:6432/keel?sslmode=no-verify&options=-c%20search_path%3Dkeel&ssl=true',
    );
    expect(connection.env).toEqual({
      PGHOST: 'db.internal',
      PGPORT: '6432',
      PGUSER: 'keel@prod',
      PGPASSWORD: 'p@ss/word',
      PGDATABASE: 'keel',
      PGSSLMODE: 'require',
      PGOPTIONS: '-c search_path=keel',
    });
    expect(connection.database).toBe('keel');
    expect(connection.secrets).toContain('p@ss/word');
  });

  it('unbrackets IPv6 hosts and leaves unset what the URL does not say', () => {
    expect(libpqConnection('postgresql://[::1]/keel').env).toEqual({
      PGHOST: '::1',
      PGDATABASE: 'keel',
    });
  });

  it.each(['keel:secret@db', 'not a url with secret'])('refuses %j without echoing it', (url) => {
    expect(() => libpqConnection(url)).toThrow(
      expect.objectContaining({
        code: 'config_invalid',
        message: 'DATABASE_URL is not a postgres:// URL',
      }),
    );
  });

  it('removes passwords from tool messages', () => {
    const message =
      'connection to postgres://keel:hunter2@db failed: password=hunter2 (hunter2 rejected)';
    expect(withoutSecrets(message, ['hunter2'])).toBe(
      'connection to postgres://***@db failed: password=*** (*** rejected)',
    );
  });

  it('quotes a database name for a conninfo string', () => {
    expect(databaseConninfo("it's\\odd")).toBe("dbname='it\\'s\\\\odd'");
  });
});
