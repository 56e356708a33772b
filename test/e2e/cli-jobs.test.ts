import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../src/jobs/contracts.js';
import type { JobRecord } from '../../src/jobs/queue.js';
import { SqliteJobQueue } from '../../src/jobs/sqlite/queue.js';
import { addSource } from '../../src/kb/sources.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import {
  CLI_CALL_TIMEOUT_MS,
  KEEL_BIN,
  cliTestTimeout,
  keelCommand,
} from '../helpers/keel-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('keel worker and keel jobs, end to end on a fresh data folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'keel-cli-jobs-'));
  const dataDir = join(root, 'data');
  const env = { ...process.env, KEEL_DATA_DIR: dataDir, KEEL_LOG_LEVEL: 'silent' };
  const keel = (...args: string[]) => keelCommand(args, env);
  // Jobs are enqueued from here, on the same file, as an API process beside the worker would.
  let queue: SqliteJobQueue | undefined;
  afterAll(() => queue?.close());

  /** Polls until the job reaches `state`; the worker has as long as a CLI command to start. */
  async function until(id: string, state: JobRecord['state']) {
    const deadline = Date.now() + CLI_CALL_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if ((await queue!.get(id))?.state === state) return;
      await sleep(50);
    }
    throw new Error(`job ${id} never became ${state}`);
  }

  it(
    'runs jobs in a worker process that stops cleanly on SIGTERM; lists, cancels and retries them',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'keel-cli-jobs-kb-'));
      writeFileSync(join(folder, 'otters.md'), '# Otters\n\nOtters hold hands while sleeping.\n');
      const store = await SqliteStore.open(join(dataDir, 'keel.db'));
      const source = await addSource(store, { name: 'otters', kind: 'folder', location: folder });
      await store.close();
      const payload = { sourceId: source.id, workspaceId: source.workspaceId };
      queue = SqliteJobQueue.open({ file: join(dataDir, 'jobs.db'), accepts: QUEUE_NAMES });
      const later = await queue.enqueue('ingest', payload, { delayMs: 3_600_000 });
      const now = await queue.enqueue('ingest', payload);

      expect((await keel('jobs', 'cancel', later.id)).out).toContain(`Cancelled ${later.id}.`);
      const listed = (await keel('jobs', 'list')).out;
      expect(listed).toContain(`${later.id}  ingest  cancelled`);
      expect(listed).toContain(`${now.id}  ingest  queued`);

      const worker = spawn(process.execPath, [KEEL_BIN, 'worker', '--queues', 'ingest'], { env });
      const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
      try {
        await until(now.id, 'completed');
        expect((await keel('jobs', 'retry', later.id)).out).toContain(
          `Retried ${later.id}: queued.`,
        );
        await until(later.id, 'completed');
      } finally {
        worker.kill('SIGTERM');
      }
      expect(await exited).toBe(0);

      const shown = JSON.parse((await keel('jobs', 'show', now.id)).out) as JobRecord;
      expect(shown).toMatchObject({ state: 'completed', result: { status: 'ok', added: 1 } });
      const refused = await keel('jobs', 'retry', now.id);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain('job_not_retryable');
      expect((await keel('worker', '--queues', 'ingest,nope')).out).toContain('unknown_queue');
      // Seven commands, the worker's start and its two jobs (each waited for like a command).
    },
    cliTestTimeout(10),
  );

  it(
    'adds, lists, pauses, resumes and deletes a schedule with keel jobs schedule',
    async () => {
      const added = await keel(
        'jobs',
        'schedule',
        'add',
        'nightly-sync',
        '--queue',
        'ingest',
        '--cron',
        '0 3 * * *',
        '--timezone',
        'Europe/Paris',
        '--payload',
        '{"sourceId":"src_1"}',
      );
      expect(added.code, added.out).toBe(0);
      expect(added.out).toContain(
        'Scheduled nightly-sync  ingest  "0 3 * * *" Europe/Paris  next ',
      );
      const listed = JSON.parse((await keel('jobs', 'schedule', 'list', '--json')).out) as {
        schedules: { id: string; payload: unknown; paused: boolean }[];
      };
      expect(listed.schedules).toMatchObject([
        {
          id: 'nightly-sync',
          payload: { sourceId: 'src_1', workspaceId: 'default' },
          paused: false,
        },
      ]);
      expect((await keel('jobs', 'schedule', 'pause', 'nightly-sync')).out).toContain('paused');
      expect((await keel('jobs', 'schedule', 'resume', 'nightly-sync')).out).toContain('next ');
      expect((await keel('jobs', 'schedule', 'delete', 'nightly-sync')).out).toContain(
        'Deleted schedule nightly-sync.',
      );
      const gone = await keel('jobs', 'schedule', 'delete', 'nightly-sync');
      expect(gone.code).toBe(1);
      expect(gone.out).toContain('schedule_not_found');
      const bad = await keel('jobs', 'schedule', 'add', 'x', '--queue', 'ingest', '--cron', 'soon');
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('invalid_cron');
    },
    cliTestTimeout(8),
  );
});
