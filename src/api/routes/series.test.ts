import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, createAuthFixture } from '../../../test/helpers/auth-fixtures.js';
import { createRouteApp } from '../../../test/helpers/route-app.js';
import type { Principal } from '../../auth/principal.js';
import { LocalBlobStore } from '../../blobs/blob-store-local.js';
import type { JobRecord } from '../../jobs/queue.js';
import { seriesRoutes } from './series.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY = 86_400_000;

/** A daily `timestamp,value` CSV from 2024-01-01 with a gentle upward trend. */
function dailyCsv(days: number): string {
  const rows = Array.from({ length: days }, (_, day) => {
    const date = new Date(Date.UTC(2024, 0, 1) + day * DAY).toISOString().slice(0, 10);
    return `${date},${100 + day * 2 + (day % 3)}`;
  });
  return `timestamp,value\n${rows.join('\n')}\n`;
}

describe('time series uploads and job outputs', () => {
  let fixture: AuthFixture;
  const csvHeaders = (as: { headers: Record<string, string> }) => ({
    ...as.headers,
    'content-type': 'text/csv',
  });

  async function upload(seriesId: string, body: string, as = fixture.a.user) {
    return fixture.app.inject({
      method: 'PUT',
      url: `/v1/series/${seriesId}`,
      headers: csvHeaders(as),
      payload: body,
    });
  }

  async function finished(id: string, as = fixture.a.user): Promise<JobRecord> {
    for (let tries = 0; tries < 400; tries += 1) {
      const response = await fixture.app.inject({
        method: 'GET',
        url: `/v1/jobs/${id}`,
        headers: as.headers,
      });
      const job = response.json<JobRecord>();
      if (['completed', 'dead', 'cancelled'].includes(job.state)) return job;
      await sleep(25);
    }
    throw new Error(`job ${id} never finished`);
  }

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
  });
  afterAll(async () => fixture.close());

  it('stores a valid CSV, lists it, serves it back, and forecasts it as a predictions job', async () => {
    const csv = dailyCsv(60);
    const uploaded = await upload('daily-views', csv);
    expect(uploaded.statusCode, uploaded.body).toBe(200);
    expect(uploaded.json()).toMatchObject({
      seriesId: 'daily-views',
      points: 60,
      from: '2024-01-01T00:00:00.000Z',
      to: '2024-02-29T00:00:00.000Z',
      bytes: Buffer.byteLength(csv),
    });

    const list = await fixture.app.inject({
      method: 'GET',
      url: '/v1/series',
      headers: fixture.a.user.headers,
    });
    expect(list.json<{ series: { seriesId: string }[] }>().series.map((s) => s.seriesId)).toEqual([
      'daily-views',
    ]);
    const back = await fixture.app.inject({
      method: 'GET',
      url: '/v1/series/daily-views',
      headers: fixture.a.user.headers,
    });
    expect(back.headers['content-type']).toContain('text/csv');
    expect(back.body).toBe(csv);

    const enqueued = await fixture.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: fixture.a.user.headers,
      payload: { queue: 'predictions', payload: { seriesId: 'daily-views', horizon: 7 } },
    });
    expect(enqueued.statusCode, enqueued.body).toBe(202);
    const job = await finished(enqueued.json<JobRecord>().id);
    expect(job.state, JSON.stringify(job.error)).toBe('completed');

    const output = await fixture.app.inject({
      method: 'GET',
      url: `/v1/jobs/${job.id}/output`,
      headers: fixture.a.user.headers,
    });
    expect(output.statusCode, output.body).toBe(200);
    expect(output.headers['content-type']).toContain('application/json');
    const forecast = output.json<{ points: { at: string; value: number }[] }>();
    expect(forecast.points).toHaveLength(7);
    expect(forecast.points[0]!.at).toBe('2024-03-01T00:00:00.000Z');
    // The series rises by about 2 a day from ~218 at its end.
    expect(forecast.points[0]!.value).toBeGreaterThan(210);
    expect(forecast.points[0]!.value).toBeLessThan(230);

    // Another workspace sees neither the series nor the job's output.
    for (const url of ['/v1/series/daily-views', `/v1/jobs/${job.id}/output`]) {
      const other = await fixture.app.inject({
        method: 'GET',
        url,
        headers: fixture.b.user.headers,
      });
      expect(other.statusCode, url).toBe(404);
    }
    const theirs = await fixture.app.inject({
      method: 'GET',
      url: '/v1/series',
      headers: fixture.b.user.headers,
    });
    expect(theirs.json()).toEqual({ series: [] });
  });

  it('has no output for a job that is not completed or stores none', async () => {
    const enqueued = await fixture.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: fixture.a.user.headers,
      payload: {
        queue: 'predictions',
        payload: { seriesId: 'no-such-series', horizon: 3 },
        delayMs: 60_000,
      },
    });
    const id = enqueued.json<JobRecord>().id;
    const waiting = await fixture.app.inject({
      method: 'GET',
      url: `/v1/jobs/${id}/output`,
      headers: fixture.a.user.headers,
    });
    expect(waiting.statusCode).toBe(409);
    expect(waiting.json<{ error: { code: string } }>().error.code).toBe('job_not_completed');
  });
});

describe('series routes on a local blob store alone', () => {
  let app: Awaited<ReturnType<typeof createRouteApp>>;
  const alice = { authorization: 'Bearer alice' };
  const principal: Principal = {
    kind: 'user',
    userId: 'usr_alice',
    email: 'alice@example.com',
    workspaceId: 'ws_a',
    role: 'user',
    scopes: 'all',
    apiKeyId: null,
    sessionId: null,
  };

  const upload = (seriesId: string, body: string) =>
    app.inject({
      method: 'PUT',
      url: `/v1/series/${seriesId}`,
      headers: { ...alice, 'content-type': 'text/csv' },
      payload: body,
    });

  beforeAll(async () => {
    const blobs = new LocalBlobStore(join(mkdtempSync(join(tmpdir(), 'keel-series-')), 'blobs'));
    app = await createRouteApp(seriesRoutes({ blobs }), { alice: principal });
  });
  afterAll(() => app.close());

  it('refuses a bad file with the line named, and keeps the series stored before', async () => {
    expect((await upload('kept', dailyCsv(20))).statusCode).toBe(200);

    const broken = await upload('kept', 'timestamp,value\n2024-01-01,1\n2024-01-02,lots\n');
    expect(broken.statusCode).toBe(400);
    const error = broken.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('series_invalid');
    expect(error.message).toContain('line 3');

    const short = await upload('kept', dailyCsv(3));
    expect(short.statusCode).toBe(400);
    expect(short.json<{ error: { code: string } }>().error.code).toBe('series_too_short');

    const still = await app.inject({
      method: 'GET',
      url: '/v1/series/kept',
      headers: alice,
    });
    expect(still.body).toBe(dailyCsv(20));
  });

  it('answers bad ids, media types and unknown series with clear 4xx codes', async () => {
    const badId = await upload('..%2Fescape', dailyCsv(20));
    expect(badId.statusCode).toBe(400);

    const json = await app.inject({
      method: 'PUT',
      url: '/v1/series/as-json',
      headers: alice,
      payload: { timestamp: '2024-01-01', value: 1 },
    });
    expect(json.statusCode).toBe(415);

    const missing = await app.inject({
      method: 'DELETE',
      url: '/v1/series/never-uploaded',
      headers: alice,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('series_not_found');

    expect((await upload('gone-soon', dailyCsv(12))).statusCode).toBe(200);
    const removed = await app.inject({
      method: 'DELETE',
      url: '/v1/series/gone-soon',
      headers: alice,
    });
    expect(removed.statusCode).toBe(204);
    const after = await app.inject({
      method: 'GET',
      url: '/v1/series/gone-soon',
      headers: alice,
    });
    expect(after.statusCode).toBe(404);
  });
});
