import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase } from '../../test/helpers/postgres-database.js';
import { LocalBlobStore } from '../blobs/blob-store-local.js';
import { PostgresStore } from '../store/postgres.js';
import { BackupService } from './backup-service.js';
import { PostgresBackup } from './postgres-backup.js';

let database: TestDatabase;
let folder: string;
/** The test database's URL with a password in it: trust auth ignores it; it must never leak. */
let urlWithPassword: string;
const PASSWORD = 'correct-horse-battery-staple';

beforeAll(async () => {
  database = await createTestDatabase('keel_backup');
  folder = await mkdtemp(join(tmpdir(), 'keel-pg-backup-'));
  const url = new URL(database.url);
  url.username = url.username || 'postgres';
  url.password = PASSWORD;
  urlWithPassword = url.href;
});
afterAll(async () => {
  await database?.drop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function sourceNames(): Promise<string[]> {
  const store = await PostgresStore.open({ url: database.url, poolMax: 2 });
  try {
    return (await store.listSources()).map((source) => source.name).sort();
  } finally {
    await store.close();
  }
}

function backupsInto(blobFolder: string, binDir?: string) {
  const blobs = new LocalBlobStore(join(folder, blobFolder));
  const service = new BackupService({
    blobs,
    database: new PostgresBackup(urlWithPassword, binDir),
    ...(binDir && { postgresBinDir: binDir }),
  });
  return { blobs, service };
}

describe('PostgreSQL backups (pg_dump / pg_restore)', () => {
  it('backs up, verifies, and restores the old data after it changed', async () => {
    const store = await PostgresStore.open({ url: database.url, poolMax: 2 });
    await store.createSource({ name: 'before', kind: 'folder', location: '/before' });
    const { blobs, service } = backupsInto('blobs');
    const manifest = await service.create();
    expect(manifest).toMatchObject({
      dialect: 'postgres',
      source: expect.not.stringContaining(PASSWORD),
      schema: { migration: expect.stringMatching(/^\d{4}-/) },
      files: [{ name: 'postgres.dump', encoding: 'identity' }],
    });
    expect(await service.verify(manifest.id)).toMatchObject({ ok: true, problems: [] });

    await store.createSource({ name: 'after', kind: 'folder', location: '/after' });
    await store.close();
    expect(await sourceNames()).toEqual(['after', 'before']);

    await service.restore(manifest.id);
    expect(await sourceNames()).toEqual(['before']);

    // One changed byte in the stored dump: verification says so and restore refuses.
    const dump = join(folder, 'blobs', `${manifest.files[0]!.key}~blob`);
    const bytes = await readFile(dump);
    bytes[bytes.length - 10]! ^= 0x01;
    await writeFile(dump, bytes);
    const verification = await service.verify(manifest.id);
    expect(verification.ok).toBe(false);
    expect(verification.problems.join('\n')).toMatch(/postgres\.dump: .*SHA-256/);
    await expect(service.restore(manifest.id)).rejects.toMatchObject({ code: 'backup_invalid' });
    await blobs.close();
  });

  it('names the missing tool when pg_dump is not installed', async () => {
    const { blobs, service } = backupsInto('blobs-missing', join(folder, 'no-such-bin'));
    await expect(service.create()).rejects.toMatchObject({ code: 'pg_dump_missing' });
    expect(await blobs.list('backups/')).toEqual({ items: [] });
  });

  it('keeps the password off the command line and out of errors, and no partial dump', async () => {
    const binDir = await mkdtemp(join(folder, 'bin-'));
    // Writes half a dump, then fails the way libpq does, echoing what it was given.
    await writeFile(
      join(binDir, 'pg_dump'),
      [
        '#!/bin/sh',
        `printf '%s\\n' "$@" > "${binDir}/arguments"`,
        `printf '%s' "$PGPASSWORD" > "${binDir}/password"`,
        "printf 'PGDMP partial dump'",
        'echo "connection to postgres://$PGUSER:$PGPASSWORD@$PGHOST failed: password=$PGPASSWORD" >&2',
        'exit 1',
      ].join('\n'),
    );
    await chmod(join(binDir, 'pg_dump'), 0o755);
    const { blobs, service } = backupsInto('blobs-failing', binDir);

    const failure = await service.create().then(
      () => undefined,
      (error: Error & { code?: string }) => error,
    );
    expect(failure).toMatchObject({ code: 'pg_dump_failed' });
    expect(failure?.message).toContain('connection to postgres://');
    expect(failure?.message).not.toContain(PASSWORD);
    expect(await readFile(join(binDir, 'arguments'), 'utf8')).not.toContain(PASSWORD);
    expect(await readFile(join(binDir, 'password'), 'utf8')).toBe(PASSWORD);
    expect(await blobs.list('backups/')).toEqual({ items: [] });
  });
});
