import { describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/keel-process.js';
import {
  DatabaseUnavailableError,
  createPool,
  isConnectionError,
  kyselyFor,
} from './postgres-pool.js';
import { sql } from 'kysely';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('PostgreSQL outages', () => {
  it('tells a server that is away from a statement that is wrong', () => {
    expect(isConnectionError(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(
      true,
    );
    expect(isConnectionError(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(
      isConnectionError(withCode('terminating connection due to administrator command', '57P01')),
    ).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isConnectionError(withCode('duplicate key value violates unique constraint', '23505')),
    ).toBe(false);
    expect(
      isConnectionError(withCode('canceling statement due to statement timeout', '57014')),
    ).toBe(false);
  });

  it('answers a query with a 503 dependency_unavailable when nothing listens', async () => {
    const port = await freePort();
    const db = kyselyFor(
      createPool({ url: `postgres://postgres@127.0.0.1:${port}/keel`, max: 1, onError: () => {} }),
    );
    try {
      const failure = await sql`select 1`.execute(db).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DatabaseUnavailableError);
      expect(failure).toMatchObject({
        status: 503,
        code: 'dependency_unavailable',
        retryable: true,
      });
    } finally {
      await db.destroy();
    }
  });
});
