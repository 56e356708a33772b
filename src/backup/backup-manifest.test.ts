import { describe, expect, it } from 'vitest';
import {
  type BackupManifest,
  assertBackupId,
  backupIdFor,
  parseManifest,
  serializeManifest,
} from './backup-manifest.js';

const manifest: BackupManifest = {
  format: 'keel-backup',
  formatVersion: 1,
  id: '20260315T101500Z',
  createdAt: '2026-03-15T10:15:00.123Z',
  keelVersion: '0.1.0',
  dialect: 'sqlite',
  source: '/srv/keel/data/keel.db',
  schema: { migration: '0007-invites-and-actors', jobsVersion: 1 },
  files: [
    {
      name: 'keel.db',
      key: 'backups/20260315T101500Z/keel.db.gz',
      size: 10,
      sha256: 'a'.repeat(64),
      encoding: 'gzip',
      contentSize: 40,
      contentSha256: 'b'.repeat(64),
    },
  ],
};

const reparse = (value: unknown) => parseManifest(JSON.stringify(value), 'manifest.json');

describe('backup manifest', () => {
  it('reads back what Keel writes', () => {
    expect(parseManifest(serializeManifest(manifest).toString(), 'manifest.json')).toEqual(
      manifest,
    );
  });

  it.each([
    ['a key outside its own backup', { key: 'backups/20200101T000000Z/keel.db.gz' }],
    ['a file name that is a path', { name: '../keel.db' }],
    ['a digest that is not SHA-256', { sha256: 'abc' }],
  ])('refuses %s', (_case, change) => {
    expect(() => reparse({ ...manifest, files: [{ ...manifest.files[0], ...change }] })).toThrow(
      expect.objectContaining({ code: 'backup_manifest_invalid' }),
    );
  });

  it('refuses text that is not JSON, or a format it does not know', () => {
    expect(() => parseManifest('{', 'm')).toThrow(/not JSON/);
    expect(() => reparse({ ...manifest, formatVersion: 2 })).toThrow(/formatVersion/);
  });

  it('names backups by their UTC second, numbering those in the same second', () => {
    const date = new Date('2026-03-15T10:15:00.999Z');
    expect(backupIdFor(date)).toBe('20260315T101500Z');
    expect(backupIdFor(date, 2)).toBe('20260315T101500Z-2');
    expect(() => assertBackupId('20260315T101500Z-2')).not.toThrow();
    expect(() => assertBackupId('../20260315T101500Z')).toThrow(/not a backup id/);
  });
});
