import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeQueueContract } from '../../../test/contracts/queue-contract.js';
import { describeScheduleContract } from '../../../test/contracts/schedule-contract.js';
import { QUEUE_NAMES } from '../contracts.js';
import { SqliteJobQueue } from './queue.js';

/** A fresh jobs file per test; each `open` is a separate connection, as another process has. */
function sqliteBackend(pollMs = 25) {
  const folder = mkdtempSync(join(tmpdir(), 'keel-jobs-'));
  const file = join(folder, 'jobs.db');
  const handles: SqliteJobQueue[] = [];
  return {
    file,
    async open(options: { accepts?: readonly (typeof QUEUE_NAMES)[number][] } = {}) {
      const handle = SqliteJobQueue.open({ file, accepts: options.accepts ?? QUEUE_NAMES, pollMs });
      handles.push(handle);
      return handle;
    },
    async destroy() {
      await Promise.all(handles.map((handle) => handle.close()));
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

describeQueueContract('sqlite', async () => sqliteBackend());
describeScheduleContract('sqlite', async () => sqliteBackend());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A worker in its own process: runs ingest jobs until none is queued, then closes gracefully. */
const WORKER_SCRIPT = `
  const { SqliteJobQueue } = await import(process.env.ADAPTER);
  const queue = SqliteJobQueue.open({ file: process.env.JOBS_FILE, accepts: ['ingest'], pollMs: 5 });
  queue.work(['ingest'], { ingest: async () => process.pid }, { concurrency: 4 });
  while ((await queue.list({ state: 'queued', limit: 1 })).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await queue.close();
`;

/** A worker in its own process that takes a job and hangs on it, until it is killed. */
const HANGING_WORKER_SCRIPT = `
  const { SqliteJobQueue } = await import(process.env.ADAPTER);
  const queue = SqliteJobQueue.open({ file: process.env.JOBS_FILE, accepts: ['ingest'], pollMs: 5 });
  queue.work(['ingest'], { ingest: () => new Promise(() => {}) }, { leaseMs: 300 });
`;

const adapterPath = fileURLToPath(new URL('./queue.ts', import.meta.url));
const nodeArguments = (script: string) => ['--import', 'tsx', '--input-type=module', '-e', script];

describe('sqlite job queue', () => {
  it('runs a job again after its worker process is killed mid-job', async () => {
    const backend = sqliteBackend();
    try {
      const queue = await backend.open();
      const job = await queue.enqueue('ingest', { sourceId: 'src_1', workspaceId: 'ws_1' });
      const child = spawn(process.execPath, nodeArguments(HANGING_WORKER_SCRIPT), {
        env: { ...process.env, ADAPTER: adapterPath, JOBS_FILE: backend.file },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      while ((await queue.get(job.id))?.state !== 'running') await sleep(20);
      child.kill('SIGKILL');
      await exited;

      queue.work(
        ['ingest'],
        { ingest: async ({ attempt }) => `attempt ${attempt}` },
        { leaseMs: 300 },
      );
      while ((await queue.get(job.id))?.state !== 'completed') await sleep(20);
      expect(await queue.get(job.id)).toMatchObject({ result: 'attempt 2', attempts: 2 });
    } finally {
      await backend.destroy();
    }
  });

  it('never gives one job to two worker processes sharing the file', async () => {
    const backend = sqliteBackend();
    try {
      const queue = await backend.open();
      const ids = Array.from({ length: 300 }, (_, index) => `shared-${index}`);
      for (const id of ids)
        await queue.enqueue('ingest', { sourceId: id, workspaceId: 'ws_1' }, { jobId: id });
      const env = { ...process.env, ADAPTER: adapterPath, JOBS_FILE: backend.file };
      const run = () =>
        promisify(execFile)(process.execPath, nodeArguments(WORKER_SCRIPT), { env });
      await Promise.all([run(), run()]);

      const jobs = await Promise.all(ids.map((id) => queue.get(id)));
      // A job claimed twice would have been started twice: every attempt count would not be 1.
      expect(jobs.map((job) => [job?.state, job?.attempts])).toEqual(
        ids.map(() => ['completed', 1]),
      );
    } finally {
      await backend.destroy();
    }
  });

  it('keeps acknowledged jobs across a restart and runs them after it', async () => {
    const backend = sqliteBackend();
    try {
      const before = await backend.open();
      const job = await before.enqueue('ingest', { sourceId: 'src_1', workspaceId: 'ws_1' });
      await before.close();

      const after = await backend.open();
      expect(await after.get(job.id)).toMatchObject({ state: 'queued', payload: job.payload });
      after.work(['ingest'], { ingest: async () => 'after restart' });
      for (let tries = 0; (await after.get(job.id))?.state !== 'completed'; tries++) {
        if (tries > 500) throw new Error('job did not complete after the restart');
        await sleep(20);
      }
      expect(await after.get(job.id)).toMatchObject({ result: 'after restart' });
    } finally {
      await backend.destroy();
    }
  });

  it('runs due jobs by priority, unprioritized first, then in order of their time', async () => {
    const backend = sqliteBackend();
    try {
      const queue = await backend.open();
      const order: string[] = [];
      for (const [jobId, priority] of [
        ['low', 10],
        ['high', 1],
        ['plain', 0],
        ['later', 0],
      ] as const) {
        await queue.enqueue(
          'ingest',
          { sourceId: jobId, workspaceId: 'ws_1' },
          { jobId, priority },
        );
        await sleep(3);
      }
      queue.work(['ingest'], { ingest: async ({ id }) => order.push(id) });
      while (order.length < 4) await sleep(20);
      expect(order).toEqual(['plain', 'later', 'high', 'low']);
    } finally {
      await backend.destroy();
    }
  });
});
