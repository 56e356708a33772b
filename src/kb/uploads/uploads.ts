import { createHash } from 'node:crypto';
import type { BlobStore } from '../../blobs/blob-store.js';
import { KeelError, NotFoundError, ValidationError } from '../../errors.js';
import type { KnowledgeStore, Source } from '../../store/store.js';
import type { SyncReport } from '../sync.js';
import { type UploadFormat, extractText, uploadFormat } from './extract-text.js';
import { uploadedName } from './upload-mirror.js';

export const UPLOADS_SOURCE = 'uploads';

export interface UploadedFile {
  name: string;
  bytes: Buffer;
}

export interface StoredUpload {
  name: string;
  format: UploadFormat;
  bytes: number;
  /** The document's path in the source: what citations name (the uploaded file's name). */
  path: string;
  /** The original as uploaded, in the blob store; one key per upload (a version). */
  blobKey: string;
  sha256: string;
}

/** An uploaded document as listed: its latest original and how many versions were uploaded. */
export interface UploadedDocument {
  name: string;
  format: UploadFormat;
  /** Size of the latest original. */
  bytes: number;
  versions: number;
  uploadedAt: string;
  blobKey: string;
}

export interface UploadDependencies {
  store: KnowledgeStore;
  blobs: BlobStore;
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

/** Where a workspace's extracted texts live in the blob store: the uploads source's location. */
function textPrefix(workspaceId: string): string {
  return `uploads-text/${createHash('sha256').update(workspaceId).digest('hex').slice(0, 16)}/`;
}

function indexedNameOf(name: string, format: UploadFormat): string {
  if (format === 'json' || format === 'jsonl') return name;
  return format === 'markdown' ? name.replace(/\.markdown$/i, '.md') : `${name}.md`;
}

/**
 * Uploaded documents: the original goes to the blob store (one key per upload, so every upload is
 * a version), and so does the extracted text, under the workspace's `uploads` source (its
 * location is the texts' key prefix). Syncing the source reads the texts from the blob store, so
 * the API that took the upload, a worker or another replica index the same documents. A text is
 * written only once it is extracted, so a corrupt upload leaves nothing behind.
 */
export class Uploads {
  constructor(private readonly deps: UploadDependencies) {}

  /** The workspace's `uploads` source, or the given one if it is an uploads source of the workspace. */
  async source(workspaceId: string, sourceId?: string): Promise<Source> {
    return (
      (await this.existing(workspaceId, sourceId)) ??
      this.deps.store.createSource({
        name: UPLOADS_SOURCE,
        kind: 'folder',
        location: textPrefix(workspaceId),
        config: { uploads: true },
        workspaceId,
      })
    );
  }

  /**
   * As {@link source}, but undefined instead of creating the workspace's uploads source. A source
   * named `uploads` that reads a folder (added by hand) is refused like any other folder source.
   */
  async existing(workspaceId: string, sourceId?: string): Promise<Source | undefined> {
    const source = sourceId
      ? await this.deps.store.getSource(sourceId)
      : await this.deps.store.findSourceByName(UPLOADS_SOURCE, workspaceId);
    if (!source && !sourceId) return undefined;
    if (!source || source.workspaceId !== workspaceId)
      throw new NotFoundError('source_not_found', `No knowledge source with id ${sourceId}`, {
        id: sourceId,
      });
    if (!this.isUploadsSource(source))
      throw new ValidationError(
        'source_not_uploads',
        `Source "${source.name}" reads a folder or repository; files can be uploaded only to an uploads source`,
        { id: source.id },
      );
    return source;
  }

  isUploadsSource(source: Source): boolean {
    return source.config.uploads === true;
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
    await this.deps.blobs.put(
      `${source.location}${extracted.indexedName}`,
      Buffer.from(extracted.text),
      {
        contentType: 'text/markdown; charset=utf-8',
      },
    );
    return {
      name,
      format,
      bytes: file.bytes.length,
      path: uploadedName(extracted.indexedName),
      blobKey,
      sha256,
    };
  }

  /** The source's documents, by name, from their stored originals. */
  async list(source: Source): Promise<UploadedDocument[]> {
    const byName = new Map<string, UploadedDocument>();
    const prefix = `uploads/${source.id}/`;
    let cursor: string | undefined;
    do {
      const page = await this.deps.blobs.list(prefix, cursor ? { cursor } : {});
      for (const item of page.items) {
        const name = item.key.slice(prefix.length).split('/')[0] ?? '';
        const format = uploadFormat(name);
        if (!format) continue;
        const previous = byName.get(name);
        // Keys of one name sort by upload time: the last one seen is the latest.
        byName.set(name, {
          name,
          format,
          bytes: item.size,
          versions: (previous?.versions ?? 0) + 1,
          uploadedAt: item.lastModified.toISOString(),
          blobKey: item.key,
        });
      }
      cursor = page.nextCursor;
    } while (cursor);
    // Originals whose text is gone (deleted mid-way) are not documents.
    const listed: UploadedDocument[] = [];
    for (const document of byName.values()) {
      const text = `${source.location}${indexedNameOf(document.name, document.format)}`;
      if (await this.deps.blobs.exists(text)) listed.push(document);
    }
    return listed;
  }

  /** Removes a document (its indexed copy and every stored original); false when there is none. */
  async remove(source: Source, name: string): Promise<boolean> {
    const base = checkFileName(name);
    const format = uploadFormat(base);
    if (!format) return false;
    const text = `${source.location}${indexedNameOf(base, format)}`;
    const existed = await this.deps.blobs.exists(text);
    await this.deps.blobs.delete(text);
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
