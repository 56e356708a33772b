import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { JobPayloads, QueueName } from '../../src/jobs/contracts.js';
import type { JobEvent, JobProcessors, JobQueue, JobRecord } from '../../src/jobs/queue.js';

/** One test's backend (a SQLite file, a Redis prefix) and the handles opened on it. */
export interface QueueContractBackend {
  /** A new handle on the same backend, as another process would open it. */
  open(options?: { accepts?: readonly QueueName[] }): Promise<JobQueue>;
  /** Closes every handle and deletes what the test stored. */
  destroy(): Promise<void>;
}

const source = (n: number | string): JobPayloads['ingest'] => ({
  sourceId: `src_${n}`,
  workspaceId: 'ws_1',
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<never>(() => undefined);

/** Polls `read` until `accept` holds; fails with the last value after `timeoutMs`. */
async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met; last: ${JSON.stringify(value)}`);
    await sleep(20);
    value = await read();
  }
  return value;
}

const stateOf = (queue: JobQueue, id: string, state: JobRecord['state']) =>
  until(
    () => queue.get(id),
    (job) => job?.state === state,
  ) as Promise<JobRecord>;

/** Follows a job's events until its last one. Start it before the job runs. */
async function collect(queue: JobQueue, id: string): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of queue.events(id, { signal: AbortSignal.timeout(15_000) })) {
    events.push(event);
  }
  return events;
}

/** A promise the test resolves when it wants a processor to go on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const waitForAbort = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

/**
 * The queue port's contract; every adapter passes it unchanged against its real backend. Leases
 * are short (400 ms) where a worker has to be given up; nothing asserts how fast anything is.
 *
 * @example
 *   describeQueueContract('sqlite', async () => sqliteBackend());
 */
export function describeQueueContract(
  name: string,
  create: () => Promise<QueueContractBackend>,
): void {
  describe(`queue contract: ${name}`, () => {
    let backend: QueueContractBackend;
    let queue: JobQueue;
    beforeEach(async () => {
      backend = await create();
      queue = await backend.open();
    });
    afterEach(() => backend.destroy());

    const work = (processors: JobProcessors, on: JobQueue = queue, leaseMs = 5_000) =>
      on.work(['ingest'], processors, { concurrency: 1, leaseMs });

    it('runs a job to completion and keeps its result', async () => {
      const job = await queue.enqueue('ingest', source(1));
      expect(job).toMatchObject({
        queue: 'ingest',
        state: 'queued',
        payload: source(1),
        attempts: 0,
      });
      const events = collect(queue, job.id);
      work({ ingest: async ({ payload, attempt }) => ({ synced: payload.sourceId, attempt }) });

      expect((await events).at(-1)).toEqual({
        type: 'job-completed',
        jobId: job.id,
        result: { synced: 'src_1', attempt: 1 },
      });
      expect(await queue.get(job.id)).toMatchObject({
        state: 'completed',
        attempts: 1,
        progress: 1,
        result: { synced: 'src_1', attempt: 1 },
        error: null,
      });
    });

    it('refuses invalid payloads and options, and queues it does not accept', async () => {
      await expect(
        queue.enqueue('ingest', { sourceId: '' } as JobPayloads['ingest']),
      ).rejects.toMatchObject({ code: 'invalid_payload', status: 400 });
      await expect(queue.enqueue('ingest', source(1), { attempts: 0 })).rejects.toMatchObject({
        code: 'invalid_job_options',
      });
      await expect(queue.enqueue('ingest', source(1), { jobId: 'a:b' })).rejects.toMatchObject({
        code: 'invalid_job_id',
      });
      const ingestOnly = await backend.open({ accepts: ['ingest'] });
      const refused = ingestOnly.enqueue('generate', {
        workspaceId: 'ws_1',
        userId: 'u_1',
        prompt: 'write',
      });
      await expect(refused).rejects.toBeInstanceOf(ValidationError);
      await expect(refused).rejects.toMatchObject({ code: 'queue_not_available' });
      expect(await queue.list()).toEqual([]);
    });

    it('enqueues once per jobId, and refuses the same id on another queue', async () => {
      let runs = 0;
      const first = await queue.enqueue('ingest', source(1), { jobId: 'sync-src_1' });
      const again = await queue.enqueue('ingest', source(2), { jobId: 'sync-src_1' });
      expect(again).toMatchObject({ id: 'sync-src_1', payload: source(1) });
      expect(first.id).toBe('sync-src_1');
      work({ ingest: async () => ++runs });
      await stateOf(queue, 'sync-src_1', 'completed');
      await queue.enqueue('ingest', source(1), { jobId: 'sync-src_1' });
      expect(await queue.get('sync-src_1')).toMatchObject({ state: 'completed', result: 1 });
      expect(runs).toBe(1);
      await expect(
        queue.enqueue(
          'webhooks',
          { url: 'http://127.0.0.1/x', event: 'e', payload: {} },
          {
            jobId: 'sync-src_1',
          },
        ),
      ).rejects.toMatchObject({ code: 'job_id_conflict', status: 409 });
    });

    it('retries a failing job after a growing backoff, then completes', async () => {
      const job = await queue.enqueue('ingest', source(1), { attempts: 3, backoffMs: 100 });
      const events = collect(queue, job.id);
      const failedAt: number[] = [];
      const startedAt: number[] = [];
      work({
        ingest: async ({ attempt }) => {
          startedAt.push(Date.now());
          if (attempt < 3) {
            failedAt.push(Date.now());
            throw new Error(`flaky ${attempt}`);
          }
          return 'ok';
        },
      });

      const seen = await events;
      expect(seen.filter((event) => event.type === 'job-failed')).toMatchObject([
        { error: 'flaky 1', attempt: 1 },
        { error: 'flaky 2', attempt: 2 },
      ]);
      expect(seen.at(-1)).toMatchObject({ type: 'job-completed', result: 'ok' });
      // Jitter keeps each wait between half and all of 100 ms, then 200 ms.
      expect(startedAt[1]! - failedAt[0]!).toBeGreaterThanOrEqual(45);
      expect(startedAt[2]! - failedAt[1]!).toBeGreaterThanOrEqual(95);
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 3 });
    });

    it('moves a job out of attempts to dead with its last error; retry runs it again', async () => {
      let healthy = false;
      const job = await queue.enqueue('ingest', source(1), { attempts: 2, backoffMs: 10 });
      const events = collect(queue, job.id);
      work({
        ingest: async ({ attempt }) => {
          if (!healthy) throw new Error(`boom ${attempt}`);
          return 'recovered';
        },
      });

      expect((await events).at(-1)).toEqual({ type: 'job-dead', jobId: job.id, error: 'boom 2' });
      expect(await queue.list({ state: 'dead' })).toMatchObject([
        { id: job.id, attempts: 2, error: 'boom 2' },
      ]);
      healthy = true;
      // A worker may take it again before retry() has read it back.
      expect(['queued', 'running', 'completed']).toContain((await queue.retry(job.id)).state);
      expect(await stateOf(queue, job.id, 'completed')).toMatchObject({ result: 'recovered' });
    });

    it('counts waiting, running and dead jobs per queue (the depth /metrics reports)', async () => {
      const count = (depth: Awaited<ReturnType<JobQueue['depth']>>, state: string) =>
        depth.find((entry) => entry.queue === 'ingest' && entry.state === state)?.count;
      expect(count(await queue.depth(), 'waiting')).toBe(0);
      const dead = await queue.enqueue('ingest', source(1), { attempts: 1 });
      await queue.enqueue('ingest', source(2));
      await queue.enqueue('ingest', source(3));
      expect(count(await queue.depth(), 'waiting')).toBe(3);
      const held = gate();
      work({
        ingest: async ({ id }) => {
          if (id === dead.id) throw new Error('boom');
          await held.opened;
        },
      });
      await stateOf(queue, dead.id, 'dead');
      const depth = await until(
        () => queue.depth(),
        (value) => count(value, 'running') === 1,
      );
      expect(count(depth, 'waiting')).toBe(1);
      expect(count(depth, 'dead')).toBe(1);
      expect(depth.map((entry) => entry.queue)).toContain('webhooks');
      held.open();
    });

    it('makes a job dead at once on an error that is not retryable', async () => {
      const job = await queue.enqueue('ingest', source(1), { attempts: 5, backoffMs: 10 });
      work({
        ingest: async () => {
          throw new ValidationError('source_not_found', 'No source src_1');
        },
      });
      expect(await stateOf(queue, job.id, 'dead')).toMatchObject({
        attempts: 1,
        error: 'source_not_found: No source src_1',
      });
    });

    it('stores and emits progress', async () => {
      const finish = gate();
      const job = await queue.enqueue('ingest', source(1));
      const events = collect(queue, job.id);
      work({
        ingest: async ({ report }) => {
          await report({ progress: 0.5, message: 'halfway' });
          await finish.opened;
          return 'done';
        },
      });

      await until(
        () => queue.get(job.id),
        (record) => record?.progress === 0.5 && record.progressMessage === 'halfway',
      );
      finish.open();
      const types = (await events).map((event) => event.type);
      expect(types).toEqual(['job-progress', 'job-completed']);
      expect((await events)[0]).toEqual({
        type: 'job-progress',
        jobId: job.id,
        progress: 0.5,
        message: 'halfway',
      });
    });

    it('cancels a queued job: it never runs', async () => {
      const ran: string[] = [];
      const job = await queue.enqueue('ingest', source(1));
      expect(await queue.cancel(job.id)).toMatchObject({ state: 'cancelled' });
      expect(await collect(queue, job.id)).toEqual([{ type: 'job-cancelled', jobId: job.id }]);

      const marker = await queue.enqueue('ingest', source(2));
      work({ ingest: async ({ id }) => ran.push(id) });
      await stateOf(queue, marker.id, 'completed');
      expect(ran).toEqual([marker.id]);
      expect(await queue.get(job.id)).toMatchObject({ state: 'cancelled', error: null });
      await expect(queue.retry(marker.id)).rejects.toMatchObject({ code: 'job_not_retryable' });
    });

    it('cancels a running job from another handle: the processor sees its signal abort', async () => {
      let sawAbort = false;
      const job = await queue.enqueue('ingest', source(1));
      const events = collect(queue, job.id);
      work({
        ingest: async ({ signal }) => {
          await waitForAbort(signal).catch((reason: unknown) => {
            sawAbort = signal.aborted;
            throw reason;
          });
        },
      });
      await stateOf(queue, job.id, 'running');

      const elsewhere = await backend.open();
      expect(await elsewhere.cancel(job.id)).toMatchObject({ cancelRequested: true });
      expect((await events).at(-1)).toEqual({ type: 'job-cancelled', jobId: job.id });
      expect(sawAbort).toBe(true);
      expect(await queue.get(job.id)).toMatchObject({ state: 'cancelled', attempts: 1 });
    });

    it('closes gracefully: running jobs finish, no new job is taken', async () => {
      const finish = gate();
      const running = await queue.enqueue('ingest', source(1));
      const worker = work({
        ingest: async () => {
          await finish.opened;
          return 'finished';
        },
      });
      await stateOf(queue, running.id, 'running');

      const closed = worker.close({ graceful: true, timeoutMs: 15_000 });
      const later = await queue.enqueue('ingest', source(2));
      finish.open();
      await closed;
      expect(await queue.get(running.id)).toMatchObject({ state: 'completed', result: 'finished' });
      await sleep(300);
      expect(await queue.get(later.id)).toMatchObject({ state: 'queued', attempts: 0 });
    });

    it('releases a job still running when a graceful close times out', async () => {
      const job = await queue.enqueue('ingest', source(1));
      const stuck = work({ ingest: never });
      await stateOf(queue, job.id, 'running');
      await stuck.close({ graceful: true, timeoutMs: 100 });
      expect(await queue.get(job.id)).toMatchObject({ state: 'queued' });

      // A released job did not use its attempt: the worker left, the job did not fail.
      const other = await backend.open();
      work({ ingest: async ({ attempt }) => `taken over at attempt ${attempt}` }, other);
      expect(await stateOf(other, job.id, 'completed')).toMatchObject({
        result: 'taken over at attempt 1',
        attempts: 1,
      });
    });

    it('runs a job again on another worker once the lease of a dead worker expires', async () => {
      const job = await queue.enqueue('ingest', source(1), { attempts: 3 });
      const dying = work({ ingest: never }, queue, 400);
      await stateOf(queue, job.id, 'running');
      await dying.close({ graceful: false });

      const other = await backend.open();
      work({ ingest: async ({ attempt }) => `attempt ${attempt}` }, other, 400);
      expect(await stateOf(other, job.id, 'completed')).toMatchObject({
        result: 'attempt 2',
        attempts: 2,
      });
    });

    it('counts a lease that ran out as an attempt: a job that kills every worker ends dead', async () => {
      const job = await queue.enqueue('ingest', source(1), { attempts: 2 });
      const events = collect(queue, job.id);
      let runs = 0;
      for (const attempt of [1, 2]) {
        const handle = await backend.open();
        const dying = work(
          {
            ingest: () => {
              runs += 1;
              return never();
            },
          },
          handle,
          400,
        );
        await until(
          () => handle.get(job.id),
          (record) => record?.state === 'running' && record.attempts === attempt,
        );
        await dying.close({ graceful: false });
      }

      const survivor = await backend.open();
      work(
        {
          ingest: async () => {
            runs += 1;
            return 'ran a third time';
          },
        },
        survivor,
        400,
      );
      const error = 'lease_expired: the worker stopped answering on the last attempt';
      expect((await events).at(-1)).toEqual({ type: 'job-dead', jobId: job.id, error });
      expect(await survivor.get(job.id)).toMatchObject({ state: 'dead', attempts: 2, error });
      expect(runs).toBe(2);
    });

    it('counts a lease that ran out among the attempts of a job that then fails', async () => {
      const job = await queue.enqueue('ingest', source(1), { attempts: 3, backoffMs: 10 });
      const dying = work({ ingest: never }, queue, 400);
      await stateOf(queue, job.id, 'running');
      await dying.close({ graceful: false });

      const other = await backend.open();
      const events = collect(other, job.id);
      const attempts: number[] = [];
      const retried = gate();
      work(
        {
          ingest: async ({ attempt }) => {
            attempts.push(attempt);
            if (attempts.length > 2) await retried.opened;
            throw new Error(`boom ${attempt}`);
          },
        },
        other,
        400,
      );
      expect(await stateOf(other, job.id, 'dead')).toMatchObject({ attempts: 3, error: 'boom 3' });
      expect(attempts).toEqual([2, 3]);
      expect((await events).filter((event) => event.type !== 'job-progress')).toMatchObject([
        { type: 'job-failed', error: 'boom 2', attempt: 2 },
        { type: 'job-dead', error: 'boom 3' },
      ]);

      // A retry counts attempts from zero again, the lease that ran out included.
      await other.retry(job.id);
      const again = collect(other, job.id);
      retried.open();
      expect((await again).find((event) => event.type === 'job-failed')).toMatchObject({
        attempt: 1,
      });
      expect(attempts).toEqual([2, 3, 1, 2, 3]);
    });

    it('completes every one of 200 jobs shared by two workers', async () => {
      const other = await backend.open();
      const processed = new Set<string>();
      const processors: JobProcessors = {
        ingest: async ({ id }) => {
          processed.add(id);
          return id;
        },
      };
      queue.work(['ingest'], processors, { concurrency: 5 });
      other.work(['ingest'], processors, { concurrency: 5 });
      const ids = Array.from({ length: 200 }, (_, index) => `bulk-${index}`);
      for (const id of ids) await queue.enqueue('ingest', source(id), { jobId: id });

      await until(
        async () => processed.size,
        (size) => size === ids.length,
        30_000,
      );
      const states = await Promise.all(ids.map(async (id) => (await other.get(id))?.state));
      expect(new Set(processed)).toEqual(new Set(ids));
      expect(states.every((state) => state === 'completed')).toBe(true);
    });

    it('lists jobs by queue and state, newest first', async () => {
      const ingest = [];
      for (const n of [1, 2, 3]) {
        ingest.push(await queue.enqueue('ingest', source(n)));
        await sleep(5);
      }
      await queue.enqueue('webhooks', { url: 'http://127.0.0.1/x', event: 'e', payload: {} });

      const listed = await queue.list({ queue: 'ingest' });
      expect(listed.map((job) => job.id)).toEqual(ingest.map((job) => job.id).reverse());
      expect(await queue.list({ state: 'queued', limit: 2 })).toHaveLength(2);
      expect(await queue.list({ state: 'completed' })).toEqual([]);
      expect(await queue.list({ workspaceId: 'ws_1' })).toHaveLength(3);
      expect(await queue.list({ workspaceId: 'ws_2' })).toEqual([]);
      expect((await queue.list()).map((job) => job.queue).sort()).toEqual([
        'ingest',
        'ingest',
        'ingest',
        'webhooks',
      ]);
    });

    it('answers ping, and not found for unknown jobs', async () => {
      await expect(queue.ping()).resolves.toBeUndefined();
      expect(await queue.get('missing')).toBeUndefined();
      await expect(queue.cancel('missing')).rejects.toMatchObject({ code: 'job_not_found' });
      await expect(queue.retry('missing')).rejects.toMatchObject({ code: 'job_not_found' });
    });
  });
}
