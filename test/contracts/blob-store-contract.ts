import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/blobs/blob-store.js';

const MiB = 1024 * 1024;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Hashes a body as it streams by, holding one chunk at a time. */
async function digestOf(body: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * A body of `totalBytes` made 64 KiB at a time as the store reads it, never held whole. Each chunk
 * has its own fill byte, so parts stored out of order change the hash.
 */
function generatedBody(totalBytes: number, failAfterBytes?: number) {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let offset = 0, index = 0; offset < totalBytes; index++) {
      if (failAfterBytes !== undefined && offset >= failAfterBytes) {
        throw new Error('client went away');
      }
      const chunk = Buffer.alloc(Math.min(64 * 1024, totalBytes - offset), index % 251);
      hash.update(chunk);
      offset += chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), sha256: () => hash.digest('hex') };
}

/** A stream that records whether anyone tried to read it. */
function watchedStream() {
  const watched = { stream: new Readable({ read: () => (watched.read = true) }), read: false };
  return watched;
}

const invalidKeys = [
  '',
  '/absolute',
  '../escape',
  'a/../../escape',
  'a/..',
  'a/./b',
  'back\\slash',
  'double//slash',
  'trailing/',
  'nul\u0000byte',
  'tab\tkey',
  'percent%2e%2e',
  'question?',
  'tilde~',
  'colon:',
  'x'.repeat(1025),
  `${'y'.repeat(201)}/z`,
];

/**
 * The blob port's contract: every adapter (local folder, S3 endpoint) must pass it unchanged.
 * `create` returns an empty store each time.
 *
 * @example
 *   describeBlobStoreContract('local', async () => new LocalBlobStore(await tempFolder()));
 */
export function describeBlobStoreContract(name: string, create: () => Promise<BlobStore>): void {
  describe(`blob store contract: ${name}`, () => {
    let store: BlobStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores a body with its content type and metadata and reads it back', async () => {
      const stored = await store.put('docs/readme.md', Buffer.from('# Hello'), {
        contentType: 'text/markdown; charset=utf-8',
        metadata: { owner: 'alice', 'source-id': '42' },
      });
      expect(stored).toMatchObject({ key: 'docs/readme.md', size: 7, sha256: sha256('# Hello') });
      const object = await store.get('docs/readme.md');
      expect(object).toMatchObject({
        key: 'docs/readme.md',
        size: 7,
        contentType: 'text/markdown; charset=utf-8',
        metadata: { owner: 'alice', 'source-id': '42' },
      });
      expect(await readText(object!.body)).toBe('# Hello');
      expect(object!.lastModified).toBeInstanceOf(Date);
      expect(await store.head('docs/readme.md')).toMatchObject({
        size: 7,
        metadata: { owner: 'alice' },
      });
      expect(await store.exists('docs/readme.md')).toBe(true);
    });

    it('stores empty bodies, as application/octet-stream with no metadata by default', async () => {
      expect(await store.put('empty', Buffer.alloc(0))).toMatchObject({
        size: 0,
        sha256: sha256(''),
      });
      const object = await store.get('empty');
      expect(object).toMatchObject({
        size: 0,
        contentType: 'application/octet-stream',
        metadata: {},
      });
      expect(await readText(object!.body)).toBe('');
    });

    it('streams a 20 MiB body in and out with its size and sha256', async () => {
      const body = generatedBody(20 * MiB);
      const stored = await store.put('large/generated.bin', body.stream);
      expect(stored).toMatchObject({ size: 20 * MiB, sha256: body.sha256() });
      const object = await store.get('large/generated.bin');
      expect(object?.size).toBe(20 * MiB);
      expect(await digestOf(object!.body)).toEqual({ size: 20 * MiB, sha256: stored.sha256 });
    });

    it('replaces an object on overwrite, metadata included', async () => {
      await store.put('note', Buffer.from('first'), {
        contentType: 'text/plain',
        metadata: { version: '1' },
      });
      await store.put('note', Buffer.from('second version'), { contentType: 'application/json' });
      const object = await store.get('note');
      expect(object).toMatchObject({ size: 14, contentType: 'application/json', metadata: {} });
      expect(await readText(object!.body)).toBe('second version');
    });

    it('shows an object only once its upload is complete', async () => {
      const upload = new PassThrough();
      const stored = store.put('incoming/file.bin', upload);
      upload.write(Buffer.alloc(MiB, 7));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await store.exists('incoming/file.bin')).toBe(false);
      expect((await store.list('incoming/')).items).toEqual([]);
      upload.end(Buffer.alloc(MiB, 8));
      expect((await stored).size).toBe(2 * MiB);
      expect((await store.list('incoming/')).items.map((item) => item.key)).toEqual([
        'incoming/file.bin',
      ]);
    });

    it('keeps the previous object when an upload stream fails part-way', async () => {
      await store.put('report.pdf', Buffer.from('version one'));
      // 17 MiB: past two 8 MiB parts, so a multipart upload is under way when the client goes away.
      const failing = generatedBody(30 * MiB, 17 * MiB);
      await expect(store.put('report.pdf', failing.stream)).rejects.toThrow('client went away');
      expect(await readText((await store.get('report.pdf'))!.body)).toBe('version one');
    });

    it('leaves one whole version after concurrent writes to one key', async () => {
      // Several rounds, because an adapter that lets two commits interleave does so only sometimes.
      for (let round = 0; round < 20; round++) {
        await Promise.all(
          Array.from({ length: 8 }, (_, writer) =>
            store.put('contended', Buffer.from(`body ${writer}`), {
              metadata: { writer: String(writer) },
            }),
          ),
        );
        const object = await store.get('contended');
        expect(await readText(object!.body)).toBe(`body ${object!.metadata.writer}`);
      }
    });

    it('deletes objects, and deleting a missing key is not an error', async () => {
      await store.put('to/delete.txt', Buffer.from('bye'));
      await store.delete('to/delete.txt');
      expect(await store.get('to/delete.txt')).toBeUndefined();
      await store.delete('to/delete.txt');
      await store.delete('never/existed.txt');
      expect((await store.list('to/')).items).toEqual([]);
    });

    it('answers undefined or false for a missing key', async () => {
      expect(await store.get('missing/key')).toBeUndefined();
      expect(await store.head('missing/key')).toBeUndefined();
      expect(await store.exists('missing/key')).toBe(false);
    });

    it('lists by prefix in UTF-8 key order, a page at a time', async () => {
      const keys = ['list/b', 'list/a/b', 'list/a', 'list/d', 'list/a-b', 'list/c', 'other/x'];
      for (const key of keys) await store.put(key, Buffer.from(key));
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list('list/', { limit: 2, ...(cursor ? { cursor } : {}) });
        pages.push(page.items.map((item) => item.key));
        cursor = page.nextCursor;
      } while (cursor);
      // "-" (0x2d) sorts before "/" (0x2f): S3's order, which a folder walk must reproduce.
      expect(pages).toEqual([
        ['list/a', 'list/a-b'],
        ['list/a/b', 'list/b'],
        ['list/c', 'list/d'],
      ]);
      const partial = await store.list('list/a', { limit: 3 });
      expect(partial.items.map((item) => item.key)).toEqual(['list/a', 'list/a-b', 'list/a/b']);
      expect(partial.nextCursor).toBeUndefined();
      expect(partial.items[0]).toMatchObject({ size: 6 });
      expect(partial.items[0]!.lastModified).toBeInstanceOf(Date);
      expect((await store.list('')).items).toHaveLength(keys.length);
      expect(await store.list('nothing/')).toEqual({ items: [] });
    });

    it('handles keys with letters of any script and spaces', async () => {
      const keys = ['u/z', 'u/報告 2024/naïve résumé.txt', 'u/ｚ', 'u/𝒜 script'];
      for (const key of keys) await store.put(key, Buffer.from(key));
      expect(await readText((await store.get(keys[1]!))!.body)).toBe(keys[1]);
      // UTF-8 order: "z" (7a) < "報" (e5…) < "ｚ" (ef…) < "𝒜" (f0…); UTF-16 would put 𝒜 before ｚ.
      expect((await store.list('u/')).items.map((item) => item.key)).toEqual(keys);
      const firstPage = await store.list('u/', { limit: 1 });
      const rest = await store.list('u/', { cursor: firstPage.nextCursor! });
      expect(rest.items.map((item) => item.key)).toEqual(keys.slice(1));
    });

    it('rejects invalid keys before any I/O', async () => {
      for (const key of invalidKeys) {
        const body = watchedStream();
        await expect(store.put(key, body.stream), key).rejects.toMatchObject({
          code: 'blob_key_invalid',
        });
        expect(body.read, `${key} body read`).toBe(false);
        const operations = [
          () => store.get(key),
          () => store.head(key),
          () => store.exists(key),
          () => store.delete(key),
        ];
        for (const operation of operations) {
          await expect(operation(), key).rejects.toMatchObject({
            code: 'blob_key_invalid',
          });
        }
      }
      await expect(store.list('../')).rejects.toMatchObject({ code: 'blob_prefix_invalid' });
      await expect(store.list('/abs')).rejects.toMatchObject({ code: 'blob_prefix_invalid' });
    });

    it('rejects invalid content types, metadata and list options', async () => {
      const put = (options: object) => store.put('k', Buffer.from('x'), options);
      await expect(put({ contentType: 'not a type' })).rejects.toMatchObject({
        code: 'blob_content_type_invalid',
      });
      for (const metadata of [{ 'Upper Case': 'x' }, { name: 'line\nbreak' }, { name: 'naïve' }]) {
        await expect(put({ metadata })).rejects.toMatchObject({ code: 'blob_metadata_invalid' });
      }
      await expect(put({ metadata: { big: 'x'.repeat(3000) } })).rejects.toMatchObject({
        code: 'blob_metadata_invalid',
      });
      for (const limit of [0, 1001, 1.5]) {
        await expect(store.list('', { limit })).rejects.toMatchObject({
          code: 'blob_list_limit_invalid',
        });
      }
      await expect(store.list('', { cursor: 'not a cursor' })).rejects.toMatchObject({
        code: 'blob_cursor_invalid',
      });
      expect(await store.exists('k')).toBe(false);
    });
  });
}
