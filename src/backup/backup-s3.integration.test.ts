import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type S3TestServer,
  s3rverCredentials,
  startS3Server,
} from '../../test/fixtures/s3-server.js';
import { createTestKeel } from '../../test/helpers/test-keel.js';
import { S3BlobStore } from '../blobs/blob-store-s3.js';
import { SqliteStore } from '../store/sqlite.js';
import { BackupService } from './backup-service.js';
import { SqliteBackup } from './sqlite-backup.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.close();
});

describe('backups in an S3 bucket', () => {
  it('streams a backup into the bucket, verifies it there and restores from it', async () => {
    const test = await createTestKeel({}, { bundled: false, worker: false });
    const blobs = new S3BlobStore({
      endpoint: server.endpoint,
      bucket: 'keel-backups',
      region: 'us-east-1',
      forcePathStyle: true,
      ...s3rverCredentials,
    });
    let closed = false;
    try {
      await blobs.ensureBucket();
      const backups = new BackupService({ blobs, database: new SqliteBackup(test.dataDir) });
      await test.keel.store.createSource({ name: 'before', kind: 'folder', location: '/before' });
      const manifest = await backups.create();
      expect((await backups.list()).backups.map((backup) => backup.id)).toEqual([manifest.id]);
      expect(await backups.verify()).toMatchObject({ ok: true });

      await test.keel.store.createSource({ name: 'after', kind: 'folder', location: '/after' });
      await test.close();
      closed = true;
      await backups.restore(manifest.id);
      // Only the store, as the next start would open it.
      const store = await SqliteStore.open(join(test.dataDir, 'keel.db'));
      const names = (await store.listSources()).map((source) => source.name);
      await store.close();
      expect(names).toEqual(['before']);
    } finally {
      await blobs.close();
      if (!closed) await test.close();
      await rm(test.dataDir, { recursive: true, force: true });
    }
  });
});
