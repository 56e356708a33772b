import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BlobStore, readBlob } from '../../blobs/blob-store.js';

/** Extensions of uploads indexed through their extracted Markdown (`lamp.pdf` → `lamp.pdf.md`). */
const CONVERTED = /\.(?:pdf|docx|txt|html?)\.md$/i;

/**
 * The document path an uploaded file is indexed and cited under: the name it was uploaded with
 * (`lamp.pdf`), not the name of its extracted text (`lamp.pdf.md`).
 *
 * @example uploadedName('lamp.pdf.md') // 'lamp.pdf'; uploadedName('notes.md') // 'notes.md'
 */
export function uploadedName(indexedName: string): string {
  return CONVERTED.test(indexedName) ? indexedName.slice(0, -'.md'.length) : indexedName;
}

/**
 * Makes `folder` hold exactly the extracted texts stored under `prefix` in the blob store, which
 * is where an uploads source's documents live: any process (the API that took the upload, a
 * worker, another replica) syncs the source from the shared blob store, and its own folder is a
 * cache. A file whose size and modification time match the blob's is not fetched again; each
 * copy takes the blob's modification time, so the sync's own size-and-time check skips it too.
 */
export async function mirrorUploads(
  blobs: BlobStore,
  prefix: string,
  folder: string,
): Promise<void> {
  await mkdir(folder, { recursive: true });
  const wanted = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await blobs.list(prefix, cursor ? { cursor } : {});
    for (const item of page.items) {
      const name = item.key.slice(prefix.length);
      if (name === '' || name.includes('/')) continue;
      wanted.add(name);
      const target = join(folder, name);
      const local = await stat(target).catch(() => undefined);
      if (local?.size === item.size && Math.abs(local.mtimeMs - item.lastModified.getTime()) < 1)
        continue;
      const body = await readBlob(blobs, item.key);
      if (!body) continue;
      const temporary = join(folder, `.${name}.${process.pid}.tmp`);
      await writeFile(temporary, body);
      await utimes(temporary, item.lastModified, item.lastModified);
      await rename(temporary, target);
    }
    cursor = page.nextCursor;
  } while (cursor);
  for (const entry of await readdir(folder)) {
    if (!wanted.has(entry)) await rm(join(folder, entry), { force: true, recursive: true });
  }
}
