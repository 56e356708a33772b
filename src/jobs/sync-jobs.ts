import { z } from 'zod';
import { ConflictError, KeelError, NotFoundError } from '../errors.js';
import type { JobQueue, JobRecord } from './queue.js';
import type { KnowledgeStore, Source } from '../store/store.js';
import type { SyncReport } from '../kb/sync.js';

/**
 * Enqueues a sync of `source` as an `ingest` job, under a fresh id: an idempotent id would hand
 * back last week's finished sync instead of running a new one. The sync is incremental, so a job
 * that runs twice (at-least-once delivery) does the work once.
 *
 * @example
 *   const job = await enqueueSync(keel.jobs, source, { requestedBy: principal.userId });
 */
export function enqueueSync(
  jobs: JobQueue,
  source: Source,
  options: { requestedBy?: string; attempts?: number } = {},
): Promise<JobRecord<'ingest'>> {
  return jobs.enqueue(
    'ingest',
    {
      sourceId: source.id,
      workspaceId: source.workspaceId,
      ...(options.requestedBy && { requestedBy: options.requestedBy }),
    },
    options.attempts === undefined ? {} : { attempts: options.attempts },
  );
}

/** What an ingest job returns (`IngestResult`), read back from the job record. */
const ingestResultSchema = z.object({
  status: z.enum(['ok', 'partial', 'failed']),
  added: z.number().int(),
  updated: z.number().int(),
  removed: z.number().int(),
  unchanged: z.number().int(),
  durationMs: z.number(),
});

const errorCode = (record: JobRecord) => (record.error ?? '').split(':')[0];

/**
 * Waits for an ingest job to finish and answers the sync report as `KnowledgeSync.sync` gives it:
 * counts from the job's result, errors per file, message and version from the source, which the
 * sync recorded wherever it ran. A sync that failed is a report with status `failed`, as before
 * jobs; a job that could not sync at all is the error that stopped it.
 */
export async function awaitSyncReport(
  jobs: JobQueue,
  store: KnowledgeStore,
  source: Source,
  jobId: string,
  signal?: AbortSignal,
): Promise<SyncReport> {
  for await (const event of jobs.events(jobId, signal ? { signal } : {})) void event;
  signal?.throwIfAborted();
  const record = await jobs.get(jobId);
  if (!record) throw new NotFoundError('job_not_found', `No job ${jobId}`, { jobId });
  if (record.state === 'cancelled') {
    throw new ConflictError('job_cancelled', 'The sync was cancelled before it finished', {
      jobId,
    });
  }
  const code = errorCode(record);
  if (record.state === 'dead' && code === 'sync_in_progress') {
    throw new ConflictError('sync_in_progress', `Source "${source.name}" is already syncing`, {
      sourceId: source.id,
      jobId,
    });
  }
  if (record.state === 'dead' && code === 'source_not_found') {
    throw new NotFoundError('source_not_found', `No knowledge source with id ${source.id}`, {
      id: source.id,
    });
  }
  const result = ingestResultSchema.safeParse(record.result);
  if (record.state !== 'completed' && code !== 'sync_failed') {
    throw new KeelError('sync_job_failed', `The sync job ended ${record.state}`, 502, {
      jobId,
      state: record.state,
    });
  }
  const now = (await store.getSource(source.id)) ?? source;
  const stats = await store.sourceStats(source.id);
  const elapsed =
    record.startedAt && record.finishedAt
      ? Date.parse(record.finishedAt) - Date.parse(record.startedAt)
      : 0;
  return {
    sourceId: source.id,
    name: now.name,
    status: result.success ? result.data.status : 'failed',
    version: now.version,
    added: result.data?.added ?? 0,
    updated: result.data?.updated ?? 0,
    removed: result.data?.removed ?? 0,
    unchanged: result.data?.unchanged ?? 0,
    documents: stats.documents,
    chunks: stats.chunks,
    errors: stats.errors,
    durationMs: result.data?.durationMs ?? elapsed,
    message: now.lastSyncMessage,
  };
}
