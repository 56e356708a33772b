import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBlobStoreContract } from '../../test/contracts/blob-store-contract.js';
import { LocalBlobStore } from './blob-store-local.js';
import { openBlobStore } from './open-blob-store.js';

const folders: string[] = [];
async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'keel-blobs-'));
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describeBlobStoreContract(
  'local folder',
  async () => new LocalBlobStore(join(await tempFolder(), 'blobs')),
);

describe('local folder blob store', () => {
  it('refuses path traversal without touching the disk', async () => {
    const parent = await tempFolder();
    await writeFile(join(parent, 'secret.txt'), 'do not overwrite');
    const root = join(parent, 'blobs');
    const store = new LocalBlobStore(root);
    const attempts = [
      '../secret.txt',
      'a/../../secret.txt',
      '/etc/passwd',
      '..\\secret.txt',
      '%2e%2e/secret.txt',
    ];
    for (const key of attempts) {
      await expect(store.put(key, Buffer.from('pwned'))).rejects.toMatchObject({
        code: 'blob_key_invalid',
      });
      await expect(store.get(key)).rejects.toMatchObject({ code: 'blob_key_invalid' });
      await expect(store.delete(key)).rejects.toMatchObject({ code: 'blob_key_invalid' });
    }
    await expect(store.list('../')).rejects.toMatchObject({ code: 'blob_prefix_invalid' });
    expect(existsSync(root)).toBe(false);
    expect(await readdir(parent)).toEqual(['secret.txt']);
  });

  it('keeps a key and the keys under it apart (reports, reports/2024)', async () => {
    const store = new LocalBlobStore(await tempFolder());
    await store.put('reports', Buffer.from('the key'));
    await store.put('reports/2024', Buffer.from('a key under it'));
    expect(await store.head('reports')).toMatchObject({ size: 7 });
    expect(await store.head('reports/2024')).toMatchObject({ size: 14 });
  });

  it('removes folders emptied by a delete', async () => {
    const root = await tempFolder();
    const store = new LocalBlobStore(root);
    await store.put('uploads/job-1/file.txt', Buffer.from('x'));
    await store.put('uploads/keep.txt', Buffer.from('y'));
    await store.delete('uploads/job-1/file.txt');
    expect((await readdir(join(root, 'uploads'))).sort()).toEqual([
      'keep.txt~blob',
      'keep.txt~meta.json',
    ]);
  });

  it('leaves no temporary files behind after a failed upload', async () => {
    const root = await tempFolder();
    const store = new LocalBlobStore(root);
    const failing = async function* () {
      yield Buffer.from('partial');
      throw new Error('client went away');
    };
    await expect(store.put('docs/a.txt', Readable.from(failing()))).rejects.toThrow(
      'client went away',
    );
    expect(await readdir(join(root, 'docs'))).toEqual([]);
  });

  it('is what openBlobStore returns without S3, in KEEL_DATA_DIR/blobs', async () => {
    const dataDir = await tempFolder();
    const store = await openBlobStore({ dataDir, blobs: { s3: undefined } });
    await store.put('a.txt', Buffer.from('x'));
    expect(existsSync(join(dataDir, 'blobs', 'a.txt~blob'))).toBe(true);
  });
});
