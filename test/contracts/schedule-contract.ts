import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobPayloads } from '../../src/jobs/contracts.js';
import type { JobQueue, JobWorker } from '../../src/jobs/queue.js';
import type { QueueContractBackend } from './queue-contract.js';

const payload: JobPayloads['ingest'] = { sourceId: 'src_1', workspaceId: 'ws_1' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The tick a scheduled job was enqueued for: the last number of its id, in both adapters. */
const tickOf = (jobId: string) => Number(/(\d+)$/.exec(jobId)?.[1]);

/**
 * The schedules port's contract (`JobQueue.schedules`), run by each adapter against its real
 * backend: management, validation, and exactly one job per tick with two workers racing.
 */
export function describeScheduleContract(
  name: string,
  createBackend: () => Promise<QueueContractBackend>,
): void {
  describe(`job schedules contract: ${name}`, () => {
    let backend: QueueContractBackend;
    let queue: JobQueue;

    beforeEach(async () => {
      backend = await createBackend();
      queue = await backend.open();
    });
    afterEach(async () => {
      await backend.destroy();
    });

    it('creates, lists, pauses, resumes and deletes a schedule', async () => {
      const created = await queue.schedules.upsert({
        id: 'nightly',
        queue: 'ingest',
        payload,
        cron: '0 3 * * *',
        timezone: 'Europe/Paris',
      });
      expect(created).toMatchObject({
        id: 'nightly',
        queue: 'ingest',
        cron: '0 3 * * *',
        timezone: 'Europe/Paris',
        paused: false,
        payload,
      });
      // 03:00 in Paris is 01:00 or 02:00 UTC, depending on the season.
      expect(new Date(created.nextRunAt!).getUTCHours()).toBeOneOf([1, 2]);
      expect(new Date(created.nextRunAt!).getTime()).toBeGreaterThan(Date.now());
      await queue.schedules.upsert({
        id: 'hourly',
        queue: 'ingest',
        payload: { ...payload, workspaceId: 'ws_2' },
        cron: '@hourly',
      });

      const other = await backend.open();
      expect((await other.schedules.list()).map((schedule) => schedule.id)).toEqual([
        'hourly',
        'nightly',
      ]);
      expect(await other.schedules.list({ workspaceId: 'ws_2' })).toMatchObject([
        { id: 'hourly', timezone: 'UTC' },
      ]);

      expect(await queue.schedules.pause('nightly')).toMatchObject({
        paused: true,
        nextRunAt: null,
      });
      // Replacing a paused schedule keeps it paused.
      await queue.schedules.upsert({ id: 'nightly', queue: 'ingest', payload, cron: '0 4 * * *' });
      expect(await other.schedules.get('nightly')).toMatchObject({
        paused: true,
        cron: '0 4 * * *',
      });
      const resumed = await queue.schedules.resume('nightly');
      expect(resumed.paused).toBe(false);
      expect(new Date(resumed.nextRunAt!).getUTCMinutes()).toBe(0);

      await queue.schedules.delete('nightly');
      expect(await other.schedules.get('nightly')).toBeUndefined();
      await expect(queue.schedules.delete('nightly')).rejects.toMatchObject({
        code: 'schedule_not_found',
        status: 404,
      });
      await expect(queue.schedules.pause('nope')).rejects.toMatchObject({ status: 404 });
    });

    it('refuses an unreadable cron expression, time zone, id or payload', async () => {
      const base = { id: 'bad', queue: 'ingest' as const, payload, cron: '* * * * *' };
      await expect(queue.schedules.upsert({ ...base, cron: 'every day' })).rejects.toMatchObject({
        code: 'invalid_cron',
        status: 400,
      });
      await expect(queue.schedules.upsert({ ...base, cron: '61 * * * *' })).rejects.toMatchObject({
        code: 'invalid_cron',
      });
      await expect(
        queue.schedules.upsert({ ...base, timezone: 'Mars/Olympus' }),
      ).rejects.toMatchObject({ code: 'invalid_timezone', status: 400 });
      await expect(queue.schedules.upsert({ ...base, id: 'a:b' })).rejects.toMatchObject({
        code: 'invalid_schedule_id',
      });
      await expect(
        queue.schedules.upsert({ ...base, payload: { sourceId: 'src_1' } as never }),
      ).rejects.toMatchObject({ code: 'invalid_payload' });
      expect(await queue.schedules.list()).toEqual([]);
    });

    it('runs exactly one job per tick with two workers, and none while paused', async () => {
      const runs: { jobId: string; worker: string }[] = [];
      const workers: JobWorker[] = [];
      for (const worker of ['first', 'second']) {
        const handle = await backend.open();
        workers.push(
          handle.work(
            ['ingest'],
            {
              ingest: async ({ id }) => {
                runs.push({ jobId: id, worker });
                return worker;
              },
            },
            { concurrency: 2 },
          ),
        );
      }
      await queue.schedules.upsert({
        id: 'every-second',
        queue: 'ingest',
        payload,
        cron: '* * * * * *',
      });
      const deadline = Date.now() + 10_000;
      while (runs.length < 4 && Date.now() < deadline) await sleep(50);
      await queue.schedules.pause('every-second');
      // A tick already enqueued when the pause came may still run.
      await sleep(1_200);
      const atPause = runs.length;
      await sleep(1_500);
      await Promise.all(workers.map((worker) => worker.close({ graceful: true })));

      expect(runs.length).toBeGreaterThanOrEqual(4);
      // Paused: no tick after the one in flight.
      expect(runs.length).toBe(atPause);
      const ticks = runs.map((run) => tickOf(run.jobId));
      // One run per job, one job per tick, every tick on a whole second.
      expect(new Set(runs.map((run) => run.jobId)).size).toBe(runs.length);
      expect(new Set(ticks).size).toBe(runs.length);
      for (const tick of ticks) expect(tick % 1_000).toBe(0);
      for (const run of runs) expect((await queue.get(run.jobId))?.state).toBe('completed');
    });
  });
}
