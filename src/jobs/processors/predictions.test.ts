import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normals } from '../../../test/helpers/seeded-noise.js';
import { LocalBlobStore } from '../../blobs/blob-store-local.js';
import { SqliteJobQueue } from '../sqlite/queue.js';
import type { JobContext, JobEvent } from '../queue.js';
import { readBlobText } from './blob-io.js';
import {
  type PredictionFile,
  createPredictionProcessor,
  predictionKey,
  seriesKey,
} from './predictions.js';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const NOW = Date.UTC(2024, 5, 1);

let folder: string;
let blobs: LocalBlobStore;
let queue: SqliteJobQueue;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'keel-predictions-'));
  blobs = new LocalBlobStore(join(folder, 'blobs'));
  queue = SqliteJobQueue.open({
    file: join(folder, 'jobs.db'),
    accepts: ['predictions'],
    pollMs: 20,
  });
  queue.work(['predictions'], {
    predictions: createPredictionProcessor({ blobs, now: () => NOW }),
  });
});
afterEach(async () => {
  await queue.close();
  rmSync(folder, { recursive: true, force: true });
});

function csv(values: number[]): string {
  const rows = values.map(
    (value, t) => `${new Date(START + t * DAY).toISOString().slice(0, 10)},${value}`,
  );
  return `timestamp,value\n${rows.join('\n')}\n`;
}

async function upload(seriesId: string, text: string) {
  await blobs.put(seriesKey('ws_1', seriesId), Buffer.from(text), { contentType: 'text/csv' });
}

async function run(seriesId: string, horizon: number): Promise<{ id: string; events: JobEvent[] }> {
  const job = await queue.enqueue('predictions', { workspaceId: 'ws_1', seriesId, horizon });
  const events: JobEvent[] = [];
  for await (const event of queue.events(job.id)) events.push(event);
  return { id: job.id, events };
}

async function stored(key: string): Promise<PredictionFile> {
  return JSON.parse((await readBlobText(blobs, key, 10_000_000))!) as PredictionFile;
}

describe('predictions processor', () => {
  it('forecasts a noisy linear series; the actual future falls within the intervals', async () => {
    const noise = normals(2024);
    const all = Array.from({ length: 110 }, (_, t) => 500 + 4 * t + 6 * noise());
    await upload('daily-views', csv(all.slice(0, 100)));

    const { id, events } = await run('daily-views', 10);

    expect(events.map((event) => event.type)).toEqual([
      'job-progress',
      'job-progress',
      'job-progress',
      'job-completed',
    ]);
    const key = predictionKey('ws_1', 'daily-views', id);
    const record = await queue.get(id);
    expect(record).toMatchObject({
      state: 'completed',
      result: { blobKey: key, model: 'holt-linear', observations: 100, horizon: 10 },
    });
    const file = await stored(key);
    expect(file).toMatchObject({ seriesId: 'daily-views', jobId: id, model: 'holt-linear' });
    expect(file.createdAt).toBe(new Date(NOW).toISOString());
    expect(file.alpha).toBeGreaterThan(0);
    expect(file.beta).toBeLessThan(1);
    // Every point carries a confidence score beside its intervals, falling with the horizon.
    const scores = file.points.map((point) => point.confidence!);
    expect(scores.every((score) => score > 0 && score <= 1)).toBe(true);
    expect(scores).toEqual([...scores].sort((left, right) => right - left));
    expect(file.confidence).toBeGreaterThan(0);
    expect(record?.result).toMatchObject({ confidence: file.confidence });
    expect(file.points[0]!.at).toBe(new Date(START + 100 * DAY).toISOString());
    const future = all.slice(100);
    const inside = file.points.filter(
      (point, h) => point.lower95 <= future[h]! && future[h]! <= point.upper95,
    );
    expect(inside.length).toBeGreaterThanOrEqual(9);
  });

  it('fails a too-short series for good, with a clear error', async () => {
    await upload('tiny', csv([1, 2, 3, 4]));
    const { id, events } = await run('tiny', 5);
    expect(events.at(-1)).toEqual({
      type: 'job-dead',
      jobId: id,
      error: 'series_too_short: Series tiny has 4 points; a forecast needs at least 10',
    });
    expect(await queue.get(id)).toMatchObject({ state: 'dead', attempts: 1 });
    expect(await blobs.exists(predictionKey('ws_1', 'tiny', id))).toBe(false);
  });

  it('names the offending line of an unsorted series, and fails a missing one for good', async () => {
    await upload('shuffled', 'timestamp,value\n2024-01-01,1\n2024-01-03,2\n2024-01-02,3\n');
    const shuffled = await run('shuffled', 3);
    expect(shuffled.events.at(-1)).toMatchObject({
      type: 'job-dead',
      error: expect.stringMatching(
        /^series_invalid: Series shuffled, line 4: timestamp 2024-01-02/,
      ),
    });

    const missing = await run('never-uploaded', 3);
    expect(missing.events.at(-1)).toMatchObject({
      type: 'job-dead',
      error: 'series_not_found: No series never-uploaded in this workspace',
    });
  });

  it('does not run a job scheduled for later before its time', async () => {
    await upload('weekly', csv(Array.from({ length: 20 }, (_, t) => t)));
    const job = await queue.enqueue(
      'predictions',
      { workspaceId: 'ws_1', seriesId: 'weekly', horizon: 2 },
      { jobId: 'forecast-weekly-next', delayMs: 60_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await queue.get(job.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await blobs.exists(predictionKey('ws_1', 'weekly', job.id))).toBe(false);
  });

  it('returns the stored forecast when a finished job runs again', async () => {
    await upload('again', csv(Array.from({ length: 30 }, (_, t) => 2 * t)));
    const forecast = createPredictionProcessor({ blobs });
    const context: JobContext<'predictions'> = {
      id: 'job-again',
      queue: 'predictions',
      payload: { workspaceId: 'ws_1', seriesId: 'again', horizon: 4 },
      attempt: 1,
      signal: new AbortController().signal,
      report: async () => undefined,
    };
    const first = await forecast(context);
    // Redelivery after the series changed: the job's answer is the one it already stored.
    await upload('again', 'timestamp,value\n');
    expect(await forecast({ ...context, attempt: 2 })).toEqual(first);
  });

  it('refuses ids that would step into another workspace', async () => {
    await expect(run('../ws_2/secret', 1)).resolves.toMatchObject({
      events: [{ type: 'job-dead', error: expect.stringMatching(/^invalid_id/) }],
    });
  });
});
