import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../test/helpers/test-keel.js';
import { LocalBlobStore } from '../blobs/blob-store-local.js';
import { loadConfig } from '../config/config.js';
import { openKeel } from '../keel.js';
import type { SqliteStore } from '../store/sqlite.js';
import { createLogger } from '../telemetry/logger.js';
import { manifestKey } from './backup-manifest.js';
import { BackupService } from './backup-service.js';
import { PostgresBackup } from './postgres-backup.js';
import { SqliteBackup } from './sqlite-backup.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Keel on a fresh data folder with one knowledge source, and backups of that folder. */
async function keelWithBackups() {
  const test = await createTestKeel({}, { bundled: false, worker: false });
  let open = true;
  cleanups.push(async () => {
    if (open) await test.close();
    await rm(test.dataDir, { recursive: true, force: true });
  });
  await test.keel.store.createSource({ name: 'before', kind: 'folder', location: '/before' });
  const blobs = new LocalBlobStore(join(test.dataDir, 'blobs'));
  let clock = Date.parse('2026-03-15T10:15:00Z');
  const backups = new BackupService({
    blobs,
    database: new SqliteBackup(test.dataDir),
    now: () => new Date((clock += 1000)),
  });
  return {
    ...test,
    blobs,
    backups,
    async closeKeel() {
      open = false;
      await test.close();
    },
  };
}

/** Opens the data folder again, as the next `keel serve` would, and lists its source names. */
async function sourceNamesIn(dataDir: string): Promise<string[]> {
  const config = loadConfig({
    env: { KEEL_DATA_DIR: dataDir, KEEL_LOG_LEVEL: 'silent' },
    file: '/nonexistent/keel.yaml',
  });
  const keel = await openKeel(config, { logger: createLogger('silent') });
  try {
    return (await keel.store.listSources()).map((source) => source.name).sort();
  } finally {
    await keel.close();
  }
}

/** Where the folder blob store keeps an object's bytes. */
function blobFile(dataDir: string, key: string): string {
  return join(dataDir, 'blobs', `${key}~blob`);
}

describe('SQLite backups', () => {
  it('backs up a running Keel and restores the old data after it changed', async () => {
    const test = await keelWithBackups();
    const manifest = await test.backups.create();
    expect(manifest).toMatchObject({
      dialect: 'sqlite',
      formatVersion: 1,
      schema: { migration: expect.stringMatching(/^\d{4}-/) },
    });
    expect(manifest.files.map((file) => file.name)).toContain('keel.db');
    for (const file of manifest.files) {
      expect(await test.blobs.head(file.key)).toMatchObject({ size: file.size });
    }

    await test.keel.store.createSource({ name: 'after', kind: 'folder', location: '/after' });
    await test.closeKeel();
    expect(await sourceNamesIn(test.dataDir)).toEqual(['after', 'before']);

    const restored = await test.backups.restore(manifest.id);
    expect(restored.notes.join('\n')).toContain('keel.db.before-restore');
    expect(await sourceNamesIn(test.dataDir)).toEqual(['before']);
    // The replaced database is kept, whole, in case the wrong backup was restored.
    expect(await sourceNamesIn(await keptAsDataDir(test.dataDir))).toEqual(['after', 'before']);
  });

  it('refuses to restore while a Keel has the database open, and changes nothing', async () => {
    const test = await keelWithBackups();
    const { id } = await test.backups.create();
    await test.keel.store.createSource({ name: 'after', kind: 'folder', location: '/after' });
    await expect(test.backups.restore(id)).rejects.toMatchObject({ code: 'database_in_use' });
    expect((await test.keel.store.listSources()).map((source) => source.name).sort()).toEqual([
      'after',
      'before',
    ]);
  });

  it('finds a changed byte in a stored file, and will not restore that backup', async () => {
    const test = await keelWithBackups();
    const manifest = await test.backups.create();
    expect(await test.backups.verify(manifest.id)).toMatchObject({ ok: true, problems: [] });

    const keelFile = manifest.files.find((file) => file.name === 'keel.db')!;
    const path = blobFile(test.dataDir, keelFile.key);
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(path, bytes);

    const verification = await test.backups.verify(manifest.id);
    expect(verification.ok).toBe(false);
    expect(verification.problems.join('\n')).toMatch(/keel\.db\.gz: .*SHA-256/);
    await test.keel.store.createSource({ name: 'after', kind: 'folder', location: '/after' });
    await test.closeKeel();
    await expect(test.backups.restore(manifest.id)).rejects.toMatchObject({
      code: 'backup_invalid',
    });
    expect(await sourceNamesIn(test.dataDir)).toEqual(['after', 'before']);
  });

  it('reports a file missing from the blob store', async () => {
    const test = await keelWithBackups();
    const manifest = await test.backups.create();
    await test.blobs.delete(manifest.files[0]!.key);
    const verification = await test.backups.verify();
    expect(verification.ok).toBe(false);
    expect(verification.problems).toEqual([
      `${manifest.files[0]!.key} is missing from the blob store`,
    ]);
  });

  it('lists complete backups newest first and prunes all but the newest N', async () => {
    const test = await keelWithBackups();
    const first = await test.backups.create();
    const second = await test.backups.create();
    const third = await test.backups.create();
    // A backup that never wrote its manifest is unfinished: never listed, verified or pruned.
    await test.blobs.put('backups/20200101T000000Z/keel.db.gz', Buffer.from('partial'));

    expect((await test.backups.list()).backups.map((backup) => backup.id)).toEqual([
      third.id,
      second.id,
      first.id,
    ]);
    expect(await test.backups.prune(1)).toEqual([second.id, first.id]);
    expect((await test.backups.list()).backups.map((backup) => backup.id)).toEqual([third.id]);
    for (const file of [...first.files, ...second.files]) {
      expect(await test.blobs.exists(file.key)).toBe(false);
    }
    expect(await test.blobs.exists('backups/20200101T000000Z/keel.db.gz')).toBe(true);
    expect((await test.backups.verify()).manifest.id).toBe(third.id);
  });

  it('refuses a manifest that would write outside the data folder', async () => {
    const test = await keelWithBackups();
    const manifest = await test.backups.create();
    const edited = { ...manifest, files: [{ ...manifest.files[0]!, name: '../escape.db' }] };
    await test.blobs.put(manifestKey(manifest.id), Buffer.from(JSON.stringify(edited)));
    await expect(test.backups.verify(manifest.id)).rejects.toMatchObject({
      code: 'backup_manifest_invalid',
    });
    expect((await test.backups.list()).unreadable).toEqual([
      { id: manifest.id, reason: expect.stringContaining('files.0.name') },
    ]);
    await expect(test.backups.verify('../../etc')).rejects.toMatchObject({
      code: 'backup_id_invalid',
    });
  });

  it('will not restore a database from a newer Keel, nor into the other kind of database', async () => {
    const test = await keelWithBackups();
    const raw = (test.keel.store as SqliteStore).raw;
    raw
      .prepare("insert into kysely_migration (name, timestamp) values ('9999-future', 'now')")
      .run();
    const { id } = await test.backups.create();
    await test.closeKeel();
    await expect(test.backups.restore(id)).rejects.toMatchObject({ code: 'backup_schema_newer' });

    const onPostgres = new BackupService({
      blobs: test.blobs,
      database: new PostgresBackup('postgres://keel@127.0.0.1:1/keel'),
    });
    await expect(onPostgres.restore(id)).rejects.toMatchObject({
      code: 'backup_dialect_mismatch',
    });
  });

  it('says when there is nothing to back up or restore', async () => {
    const test = await keelWithBackups();
    await expect(test.backups.verify()).rejects.toMatchObject({ code: 'backup_not_found' });
    await expect(test.backups.restore('20260101T000000Z')).rejects.toMatchObject({
      code: 'backup_not_found',
    });
    const empty = new BackupService({
      blobs: test.blobs,
      database: new SqliteBackup(join(test.dataDir, 'nothing-here')),
    });
    await expect(empty.create()).rejects.toMatchObject({ code: 'database_missing' });
    expect(existsSync(join(test.dataDir, 'blobs', 'backups'))).toBe(false);
  });
});

/** A folder whose keel.db is the file a restore kept aside, to open it as a data folder. */
async function keptAsDataDir(dataDir: string): Promise<string> {
  const folder = join(dataDir, 'kept');
  await mkdir(folder);
  await copyFile(join(dataDir, 'keel.db.before-restore'), join(folder, 'keel.db'));
  return folder;
}
