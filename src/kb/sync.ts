import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConflictError, KeelError } from '../errors.js';
import type {
  DocumentUpsert,
  FileStats,
  Source,
  Store,
  SyncError,
  SyncStatus,
} from '../store/store.js';
import { checkoutGitSource } from './git-source.js';
import type { SourceCredentials } from './source-credentials.js';
import type { OutboundGuard } from '../net/outbound-guard.js';
import { readDocument } from './read-document.js';
import { walkFiles } from './walk-files.js';
import type { EmbeddingBackfill } from './embedding-backfill.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { mirrorUploads, uploadedName } from './uploads/upload-mirror.js';

export interface SyncReport {
  sourceId: string;
  name: string;
  status: SyncStatus;
  version: string | null;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  documents: number;
  chunks: number;
  errors: SyncError[];
  durationMs: number;
  message: string | null;
}

export interface SyncProgress {
  sourceId: string;
  filesSeen: number;
  changed: number;
}

function sameStats(stored: FileStats, file: FileStats): boolean {
  return stored.size === file.size && stored.mtimeMs === file.mtimeMs;
}

/** Files parsed before their chunks are written; bounds memory on large sources. */
const BATCH_FILES = 100;

/**
 * Incremental sync of one knowledge source: unchanged files (same content hash) are skipped,
 * changed ones re-chunked, deleted ones removed. A file that fails to parse is recorded as a sync
 * error and keeps its previous chunks; a source that disappears mid-sync deletes nothing.
 *
 * @example
 *   const report = await new KnowledgeSync(store, { dataDir: './data', logger }).sync(source);
 */
export class KnowledgeSync {
  private readonly running = new Map<string, Promise<SyncReport>>();

  constructor(
    private readonly store: Store,
    private readonly options: {
      dataDir: string;
      logger: Logger;
      embeddings?: EmbeddingBackfill;
      /** Where uploads sources keep their texts; without it they cannot be synced. */
      blobs?: BlobStore;
      /** Opens git sources' sealed credentials; without it git sources sync unauthenticated. */
      credentials?: SourceCredentials;
      /** Checks and pins the address of http(s) git sources at connect time. */
      outbound?: OutboundGuard;
    },
  ) {}

  isRunning(sourceId: string): boolean {
    return this.running.has(sourceId);
  }

  async sync(source: Source, onProgress?: (progress: SyncProgress) => void): Promise<SyncReport> {
    if (this.running.has(source.id)) {
      throw new ConflictError('sync_in_progress', `Source "${source.name}" is already syncing`, {
        sourceId: source.id,
      });
    }
    const run = this.run(source, onProgress).finally(() => this.running.delete(source.id));
    this.running.set(source.id, run);
    return run;
  }

  private async run(
    source: Source,
    onProgress?: (progress: SyncProgress) => void,
  ): Promise<SyncReport> {
    const started = Date.now();
    const report: SyncReport = {
      sourceId: source.id,
      name: source.name,
      status: 'ok',
      version: source.version,
      added: 0,
      updated: 0,
      removed: 0,
      unchanged: 0,
      documents: 0,
      chunks: 0,
      errors: [],
      durationMs: 0,
      message: null,
    };
    await this.store.updateSourceSync(source.id, { status: 'running' });
    try {
      const { root, commit } = await this.resolveRoot(source);
      const version = await this.ingest(source, root, commit, report, onProgress);
      report.version = version;
      report.status = report.errors.length > 0 ? 'partial' : 'ok';
      await this.options.embeddings?.backfill([source.id]);
    } catch (error) {
      report.status = 'failed';
      report.message =
        error instanceof KeelError ? error.message : `Sync failed: ${(error as Error).message}`;
      this.options.logger.warn(
        { sourceId: source.id, code: (error as KeelError).code },
        report.message,
      );
    }
    const stats = await this.store.sourceStats(source.id);
    report.documents = stats.documents;
    report.chunks = stats.chunks;
    report.durationMs = Date.now() - started;
    await this.store.replaceSyncErrors(source.id, report.errors);
    await this.store.updateSourceSync(source.id, {
      status: report.status,
      message: report.message,
      at: new Date().toISOString(),
      ...(report.version && { version: report.version }),
    });
    return report;
  }

  private async resolveRoot(source: Source): Promise<{ root: string; commit?: string }> {
    if (source.kind === 'git') {
      const credential = await this.options.credentials?.credentialFor(source);
      const { worktree, commit } = await checkoutGitSource({
        url: source.location,
        ...(credential && { credential }),
        ...(this.options.outbound && { outbound: this.options.outbound }),
        ...(source.config.branch && { branch: source.config.branch }),
        cacheDir: join(this.options.dataDir, 'git', source.id),
      });
      return { root: worktree, commit };
    }
    if (source.config.uploads) {
      if (!this.options.blobs) {
        throw new KeelError('source_unavailable', 'Uploads need the blob store', 503);
      }
      const root = join(this.options.dataDir, 'uploads-mirror', source.id);
      await mirrorUploads(this.options.blobs, source.location, root);
      return { root };
    }
    const info = await stat(source.location).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new KeelError(
        'source_unavailable',
        `Source folder ${source.location} does not exist or is not a folder`,
        422,
      );
    }
    return { root: source.location };
  }

  /** Walks the files, writes changes in batches, applies deletions; returns the new version. */
  private async ingest(
    source: Source,
    root: string,
    commit: string | undefined,
    report: SyncReport,
    onProgress?: (progress: SyncProgress) => void,
  ): Promise<string> {
    const stored = await this.store.documentHashes(source.id);
    const hadErrors = new Set(
      (await this.store.sourceStats(source.id)).errors.map((error) => error.path),
    );
    const touched: ({ path: string } & FileStats)[] = [];
    const seen = new Set<string>();
    const fingerprint = createHash('sha256');
    // Written under a provisional label, then stamped with the final version below.
    const provisional = commit ?? source.version ?? 'syncing';
    let batch: DocumentUpsert[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const { removed } = await this.store.applyDocumentChanges(source.id, provisional, {
        upserts: batch,
        deletes: [],
      });
      await this.options.embeddings?.forget(removed);
      batch = [];
    };
    const walkOptions = {
      ...(source.config.include && { include: source.config.include }),
      ...(source.config.exclude && { exclude: source.config.exclude }),
    };
    for await (const walked of walkFiles(root, walkOptions)) {
      // An upload is indexed and cited under the name it was uploaded with.
      const file = source.config.uploads ? { ...walked, path: uploadedName(walked.path) } : walked;
      seen.add(file.path);
      const previous = stored.get(file.path);
      if (previous && sameStats(previous, file) && !hadErrors.has(file.path)) {
        // Same size and modification time as at the last sync: unchanged, not even read.
        fingerprint.update(`${file.path}\0${previous.contentHash}\n`);
        report.unchanged += 1;
      } else {
        const { upsert, errors } = await readDocument(file, source.config.fields);
        report.errors.push(...errors);
        fingerprint.update(`${file.path}\0${upsert?.contentHash ?? 'error'}\n`);
        if (upsert && previous?.contentHash === upsert.contentHash) {
          report.unchanged += 1;
          touched.push({ path: file.path, size: file.size, mtimeMs: file.mtimeMs });
        } else if (upsert) {
          batch.push(upsert);
          if (previous) report.updated += 1;
          else report.added += 1;
          if (batch.length >= BATCH_FILES) await flush();
        }
      }
      if (seen.size % 250 === 0)
        onProgress?.({
          sourceId: source.id,
          filesSeen: seen.size,
          changed: report.added + report.updated,
        });
    }
    await flush();
    await this.store.updateFileStats(source.id, touched);
    // Files missing because the whole folder went away mid-walk are not deletions.
    await this.assertRootPresent(root);
    const deletes = [...stored.keys()].filter((path) => !seen.has(path));
    if (deletes.length > 0) {
      const { removed } = await this.store.applyDocumentChanges(source.id, provisional, {
        upserts: [],
        deletes,
      });
      await this.options.embeddings?.forget(removed);
      report.removed = deletes.length;
    }
    const version = commit ?? fingerprint.digest('hex').slice(0, 12);
    await this.store.stampVersion(source.id, version);
    const changed = report.added + report.updated + report.removed > 0;
    if (changed || version !== source.version) {
      const stats = await this.store.sourceStats(source.id);
      await this.store.recordKnowledgeVersion({
        sourceId: source.id,
        version,
        createdAt: new Date().toISOString(),
        documents: stats.documents,
        chunks: stats.chunks,
        added: report.added,
        updated: report.updated,
        removed: report.removed,
        errors: report.errors.length,
      });
    }
    onProgress?.({
      sourceId: source.id,
      filesSeen: seen.size,
      changed: report.added + report.updated,
    });
    return version;
  }

  private async assertRootPresent(root: string): Promise<void> {
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new KeelError(
        'source_unavailable',
        `Source folder ${root} disappeared during the sync; nothing was deleted`,
        422,
      );
    }
  }
}
