import { ConflictError, KeelError, NotFoundError, UpstreamError } from '../../errors.js';
import type { KnowledgeSync, SyncProgress, SyncReport } from '../../kb/sync.js';
import type { Store } from '../../store/store.js';
import type { JobProcessor, JobProgressReport } from '../queue.js';

export interface IngestDependencies {
  store: Pick<Store, 'getSource' | 'sourceStats'>;
  sync: Pick<KnowledgeSync, 'sync'>;
  /** Hears every finished sync, failed ones included (the process counts and logs them). */
  onSynced?: (report: SyncReport) => void;
}

/** What an ingest job returns: the sync report without its per-file errors (those stay listed on the source). */
export type IngestResult = Omit<SyncReport, 'errors' | 'name' | 'message'> & { errors: number };

/**
 * The sync reports files read, not a total, so the document count of the previous sync stands in
 * for it; the last 5 % are kept for deletions and the final writes. A first sync has no estimate
 * and reports 0 until it completes.
 */
function progressOf(progress: SyncProgress, expectedFiles: number): JobProgressReport {
  const fraction = expectedFiles > 0 ? Math.min(progress.filesSeen / expectedFiles, 1) * 0.95 : 0;
  return {
    progress: fraction,
    message: `${progress.filesSeen} files read, ${progress.changed} changed`,
  };
}

/**
 * Runs `KnowledgeSync.sync` for the job's source. Idempotent: the sync is incremental, so running
 * it again after a completed run (at-least-once delivery) finds nothing changed. A sync cannot be
 * stopped halfway; a cancelled job stops before it starts.
 *
 * @example
 *   const ingest = createIngestProcessor({ store: keel.store, sync: keel.sync });
 */
export function createIngestProcessor(dependencies: IngestDependencies): JobProcessor<'ingest'> {
  return async ({ payload, signal, report }) => {
    const source = await dependencies.store.getSource(payload.sourceId);
    // Another workspace's source is "not found" too: a job must not reach across workspaces.
    if (!source || source.workspaceId !== payload.workspaceId) {
      throw new NotFoundError('source_not_found', `No knowledge source ${payload.sourceId}`, {
        sourceId: payload.sourceId,
      });
    }
    signal.throwIfAborted();
    const expectedFiles = (await dependencies.store.sourceStats(source.id)).documents;
    await report({ progress: 0, message: `Syncing ${source.name}` });
    let synced: SyncReport;
    try {
      synced = await dependencies.sync.sync(source, (progress) => {
        // Progress is best effort; it must never fail the sync.
        report(progressOf(progress, expectedFiles)).catch(() => undefined);
      });
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'sync_in_progress') {
        // Files may have changed since the running sync started: run again after it.
        throw new KeelError(error.code, error.message, 409, error.details, true);
      }
      throw error;
    }
    dependencies.onSynced?.(synced);
    if (synced.status === 'failed') {
      throw new UpstreamError('sync_failed', synced.message ?? 'The sync failed', {
        sourceId: source.id,
      });
    }
    const { errors, name: _name, message: _message, ...counts } = synced;
    return { ...counts, errors: errors.length } satisfies IngestResult;
  };
}
