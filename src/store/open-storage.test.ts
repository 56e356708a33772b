import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { SqliteVectorIndex } from './vector-index-sqlite.js';
import { createLogger } from '../telemetry/logger.js';
import { describeDatabaseUrl, openStorage } from './open-storage.js';

const configWith = (env: Record<string, string>) =>
  loadConfig({
    env: { KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'keel-storage-')), ...env },
    file: '/nonexistent/keel.yaml',
  });
const logger = createLogger('silent');

describe('openStorage', () => {
  it('opens the SQLite file in the data folder with sqlite-vec when DATABASE_URL is unset', async () => {
    const config = configWith({});
    const storage = await openStorage(config, { logger });
    try {
      expect(storage.store.dialect).toBe('sqlite');
      expect(storage.vectorIndex).toBeInstanceOf(SqliteVectorIndex);
      expect(storage.location).toBe(join(config.dataDir, 'keel.db'));
    } finally {
      await storage.store.close();
    }
  });

  it('fails to start with the host named and the password withheld when PostgreSQL is down', async () => {
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    const config = configWith({ DATABASE_URL: 'postgres://keel:hunter2-secret@127.0.0.1:1/keel' });
    const failure = await openStorage(config, { logger }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'dependency_unavailable', status: 503 });
    expect((failure as Error).message).toContain('postgres://127.0.0.1:1/keel');
    expect((failure as Error).message).not.toContain('hunter2');
  });

  it('describes a database URL without user, password or parameters', () => {
    expect(describeDatabaseUrl('postgres://u:p@db.internal:5432/keel?sslmode=require')).toBe(
      'postgres://db.internal:5432/keel',
    );
    expect(describeDatabaseUrl('not a url')).toBe('(unparseable DATABASE_URL)');
  });
});
