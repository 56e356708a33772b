import { OutboundGuard } from '../../net/outbound-guard.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnowledgeSync, type SyncReport } from '../../kb/sync.js';
import { SqliteStore } from '../../store/sqlite.js';
import { createLogger } from '../../telemetry/logger.js';
import { AVAILABLE_QUEUES, createProcessors } from '../processors.js';
import { SqliteJobQueue } from '../sqlite/queue.js';
import type { JobContext, JobProgressReport } from '../queue.js';
import { createIngestProcessor } from './ingest.js';

describe('ingest processor', () => {
  let root: string;
  let folder: string;
  let store: SqliteStore;
  let sync: KnowledgeSync;
  let synced: SyncReport[];

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'keel-ingest-'));
    folder = join(root, 'kb');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'guide.md'),
      '# Guide\n\n## Rollback\n\nRun the rollback command.\n',
    );
    writeFileSync(join(folder, 'faq.md'), '# FAQ\n\nQuotas limit tokens per day.\n');
    store = await SqliteStore.open(join(root, 'keel.db'));
    sync = new KnowledgeSync(store, { dataDir: root, logger: createLogger('silent') });
    synced = [];
  });
  afterEach(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const ingest = () =>
    createIngestProcessor({ store, sync, onSynced: (report) => synced.push(report) });

  function context(sourceId: string, workspaceId = 'default') {
    const reports: JobProgressReport[] = [];
    const controller = new AbortController();
    const job: JobContext<'ingest'> = {
      id: 'job-1',
      queue: 'ingest',
      payload: { sourceId, workspaceId },
      attempt: 1,
      signal: controller.signal,
      report: async (progress) => void reports.push(progress),
    };
    return { job, reports, controller };
  }

  it('syncs the source, reports progress, and changes nothing when run again', async () => {
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    const first = context(source.id);
    const result = await ingest()(first.job);
    expect(result).toMatchObject({
      sourceId: source.id,
      status: 'ok',
      added: 2,
      documents: 2,
      errors: 0,
    });
    expect(first.reports[0]).toEqual({ progress: 0, message: 'Syncing kb' });
    expect(first.reports.at(-1)).toMatchObject({ message: '2 files read, 2 changed' });

    // At-least-once delivery may run a completed job again: it must find nothing to do.
    const second = context(source.id);
    const again = await ingest()(second.job);
    expect(again).toMatchObject({ status: 'ok', added: 0, updated: 0, removed: 0, unchanged: 2 });
    expect((again as { version: string }).version).toBe((result as { version: string }).version);
    expect(second.reports.at(-1)).toMatchObject({ progress: 0.95 });
    expect(synced.map((report) => report.status)).toEqual(['ok', 'ok']);
  });

  it('refuses a source that does not exist or belongs to another workspace, for good', async () => {
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    for (const job of [context('src_missing').job, context(source.id, 'ws_other').job]) {
      await expect(ingest()(job)).rejects.toMatchObject({
        code: 'source_not_found',
        retryable: false,
      });
    }
    expect(synced).toEqual([]);
  });

  it('fails, to retry later, when the source folder is gone', async () => {
    const source = await store.createSource({
      name: 'gone',
      kind: 'folder',
      location: join(root, 'nope'),
    });
    await expect(ingest()(context(source.id).job)).rejects.toMatchObject({
      code: 'sync_failed',
      retryable: true,
    });
    expect(synced.map((report) => report.status)).toEqual(['failed']);
  });

  it('does not start a sync for a job cancelled before it began', async () => {
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    const cancelled = context(source.id);
    cancelled.controller.abort();
    await expect(ingest()(cancelled.job)).rejects.toThrow();
    expect((await store.sourceStats(source.id)).documents).toBe(0);
  });

  it('runs as a registered ingest job on the queue; queues without a processor are refused', async () => {
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    const queue = SqliteJobQueue.open({
      file: join(root, 'jobs.db'),
      accepts: AVAILABLE_QUEUES,
      pollMs: 20,
    });
    try {
      const registry = new Registry();
      const dependencies = {
        logger: createLogger('silent'),
        registry,
        ingest: { store, sync },
        webhooks: { secretFor: () => undefined, outbound: new OutboundGuard() },
      };
      const processors = createProcessors(dependencies);
      queue.work(['ingest'], processors);
      const job = await queue.enqueue('ingest', { sourceId: source.id, workspaceId: 'default' });
      const events = [];
      for await (const event of queue.events(job.id)) events.push(event);

      expect(events.map((event) => event.type)).toEqual([
        'job-progress',
        'job-progress',
        'job-completed',
      ]);
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', result: { added: 2 } });
      expect(await registry.getSingleMetricAsString('keel_job_attempts_total')).toContain(
        'keel_job_attempts_total{queue="ingest",outcome="completed"} 1',
      );
      await expect(
        queue.enqueue('generate', { workspaceId: 'default', userId: 'u_1', prompt: 'write' }),
      ).rejects.toMatchObject({ code: 'queue_not_available', status: 400 });
      expect(() => createProcessors(dependencies, ['memory'])).toThrow(/is not configured/);
    } finally {
      await queue.close();
    }
  });
});
