import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { BlobStore } from '../../blobs/blob-store.js';
import { KeelError, NotFoundError, ValidationError } from '../../errors.js';
import type { KnowledgeStore, Source } from '../../store/store.js';
import type { SyncReport } from '../sync.js';
import { type UploadFormat, extractText, uploadFormat } from './extract-text.js';

export const UPLOADS_SOURCE = 'uploads';

export interface UploadedFile {
  name: string;
  bytes: Buffer;
}

export interface StoredUpload {
  name: string;
  format: UploadFormat;
  bytes: number;
  /** The indexed copy's path in the source: what citations name. */
  path: string;
  /** The original as uploaded, in the blob store; one key per upload (a version). */
  blobKey: string;
  sha256: string;
}

export interface UploadDependencies {
  store: KnowledgeStore;
  blobs: BlobStore;
  dataDir: string;
  syncSource(source: Source): Promise<SyncReport>;
}

const SAFE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._()-]{0,199}$/u;

/** A file name as a path segment: no folders, no dot-files, nothing a shell or URL would trip on. */
export function checkFileName(name: string): string {
  const base = name.split(/[\\/]/).pop()?.trim() ?? '';
  if (!SAFE_NAME.test(base) || base.includes('..')) {
    throw new ValidationError(
      'file_name_invalid',
      `"${name}" is not a usable file name: letters, digits, spaces and . _ ( ) - only`,
      { file: name },
    );
  }
  return base;
}

export class UnsupportedFileTypeError extends KeelError {
  constructor(name: string) {
    super(
      'file_type_unsupported',
      `${name}: only Markdown, plain text, JSON, JSONL, HTML, PDF and DOCX files can be uploaded`,
      415,
      { file: name },
    );
  }
}

function uploadsFolder(dataDir: string, workspaceId: string): string {
  return join(
    dataDir,
    'uploads',
    createHash('sha256').update(workspaceId).digest('hex').slice(0, 16),
  );
}

/**
 * Uploaded documents: the original goes to the blob store (one key per upload, so every upload is
 * a version), the extracted text to the workspace's `uploads` folder source, which is then synced
 * like any other source. A file is written only once its text is extracted, so a corrupt upload
 * leaves nothing behind.
 */
export class Uploads {
  constructor(private readonly deps: UploadDependencies) {}

  /** The workspace's `uploads` source, or the given one if it is an uploads source of the workspace. */
  async source(workspaceId: string, sourceId?: string): Promise<Source> {
    if (sourceId) {
      const source = await this.deps.store.getSource(sourceId);
      if (!source || source.workspaceId !== workspaceId)
        throw new NotFoundError('source_not_found', `No knowledge source with id ${sourceId}`, {
          id: sourceId,
        });
      if (!this.isUploadsSource(source))
        throw new ValidationError(
          'source_not_uploads',
          `Source "${source.name}" reads a folder or repository; files can be uploaded only to an uploads source`,
          { id: sourceId },
        );
      return source;
    }
    const existing = await this.deps.store.findSourceByName(UPLOADS_SOURCE, workspaceId);
    if (existing) return existing;
    const location = uploadsFolder(this.deps.dataDir, workspaceId);
    await mkdir(location, { recursive: true });
    return this.deps.store.createSource({
      name: UPLOADS_SOURCE,
      kind: 'folder',
      location,
      workspaceId,
    });
  }

  isUploadsSource(source: Source): boolean {
    const inside = relative(join(this.deps.dataDir, 'uploads'), source.location);
    return (
      source.kind === 'folder' && inside !== '' && !inside.startsWith('..') && !inside.includes(sep)
    );
  }

  /** Checks and extracts one file, then stores the original and the indexed copy. */
  async store(source: Source, file: UploadedFile): Promise<StoredUpload> {
    const name = checkFileName(file.name);
    const format = uploadFormat(name);
    if (!format) throw new UnsupportedFileTypeError(name);
    const extracted = await extractText(name, format, file.bytes);
    const sha256 = createHash('sha256').update(file.bytes).digest('hex');
    const blobKey = `uploads/${source.id}/${name}/${new Date().toISOString().replace(/[:.]/g, '')}-${sha256.slice(0, 12)}`;
    await this.deps.blobs.put(blobKey, file.bytes, {
      metadata: { 'file-name': encodeURIComponent(name) },
    });
    await mkdir(source.location, { recursive: true });
    // Replacing a file of another format (notes.md by notes.md.txt …) leaves one indexed copy each.
    const target = join(source.location, extracted.indexedName);
    const temporary = join(source.location, `.${extracted.indexedName}.${process.pid}.tmp`);
    await writeFile(temporary, extracted.text);
    await rename(temporary, target);
    return { name, format, bytes: file.bytes.length, path: extracted.indexedName, blobKey, sha256 };
  }

  /** Removes a document (its indexed copy and every stored original); false when there is none. */
  async remove(source: Source, name: string): Promise<boolean> {
    const base = checkFileName(name);
    const format = uploadFormat(base);
    if (!format) return false;
    const indexedName =
      format === 'markdown' || format === 'json' || format === 'jsonl' ? base : `${base}.md`;
    const target = join(source.location, indexedName);
    const existed = await rm(target).then(
      () => true,
      () => false,
    );
    let cursor: string | undefined;
    do {
      const page = await this.deps.blobs.list(
        `uploads/${source.id}/${base}/`,
        cursor ? { cursor } : {},
      );
      await Promise.all(page.items.map((item) => this.deps.blobs.delete(item.key)));
      cursor = page.nextCursor;
    } while (cursor);
    return existed;
  }

  /** Syncs the source, waiting for a sync already running (another upload) to finish first. */
  async index(source: Source): Promise<SyncReport> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.syncSource(source);
      } catch (error) {
        if ((error as KeelError).code !== 'sync_in_progress' || attempt >= 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}
