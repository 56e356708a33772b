import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, createAuthFixture } from '../../../test/helpers/auth-fixtures.js';
import type { JobRecord } from '../../jobs/queue.js';
import type { JobSchedule } from '../../jobs/schedules.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY = 86_400_000;

function dailyCsv(days: number): string {
  const rows = Array.from({ length: days }, (_, day) => {
    const date = new Date(Date.UTC(2024, 0, 1) + day * DAY).toISOString().slice(0, 10);
    return `${date},${100 + day * 2 + (day % 5)}`;
  });
  return `timestamp,value\n${rows.join('\n')}\n`;
}

describe('/v1/schedules', () => {
  let fixture: AuthFixture;

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
  });
  afterAll(async () => fixture.close());

  const call = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    as: { headers: Record<string, string> },
    payload?: unknown,
  ) =>
    fixture.app.inject({
      method,
      url,
      headers: as.headers,
      ...(payload !== undefined && { payload: payload as object }),
    });

  it('lets a manager create, pause, resume and delete a schedule in their own workspace', async () => {
    const created = await call('POST', '/v1/schedules', fixture.a.manager, {
      id: 'hourly-views',
      queue: 'predictions',
      payload: { seriesId: 'views', horizon: 24 },
      cron: '0 * * * *',
      timezone: 'America/New_York',
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.location).toBe('/v1/schedules/hourly-views');
    const schedule = created.json<JobSchedule>();
    // The workspace comes from the credentials, as for POST /v1/jobs.
    expect(schedule).toMatchObject({
      payload: { workspaceId: fixture.a.id, seriesId: 'views', horizon: 24 },
      paused: false,
      timezone: 'America/New_York',
    });
    expect(new Date(schedule.nextRunAt!).getUTCMinutes()).toBe(0);

    const listA = await call('GET', '/v1/schedules', fixture.a.user);
    expect(listA.json<{ schedules: JobSchedule[] }>().schedules.map((s) => s.id)).toEqual([
      'hourly-views',
    ]);
    const listB = await call('GET', '/v1/schedules', fixture.b.user);
    expect(listB.json()).toEqual({ schedules: [] });
    expect((await call('GET', '/v1/schedules/hourly-views', fixture.b.manager)).statusCode).toBe(
      404,
    );
    const taken = await call('POST', '/v1/schedules', fixture.b.manager, {
      id: 'hourly-views',
      queue: 'predictions',
      payload: { seriesId: 'mine', horizon: 1 },
      cron: '@daily',
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('schedule_id_conflict');
    expect(
      (await call('POST', '/v1/schedules/hourly-views/pause', fixture.b.manager)).statusCode,
    ).toBe(404);

    // A plain user reads schedules but does not change them.
    expect(
      (await call('POST', '/v1/schedules/hourly-views/pause', fixture.a.user)).statusCode,
    ).toBe(403);

    const paused = await call('POST', '/v1/schedules/hourly-views/pause', fixture.a.manager);
    expect(paused.json()).toMatchObject({ paused: true, nextRunAt: null });
    const resumed = await call('POST', '/v1/schedules/hourly-views/resume', fixture.a.manager);
    expect(resumed.json()).toMatchObject({ paused: false, nextRunAt: expect.any(String) });
    expect((await call('DELETE', '/v1/schedules/hourly-views', fixture.a.manager)).statusCode).toBe(
      204,
    );
    expect((await call('GET', '/v1/schedules/hourly-views', fixture.a.user)).statusCode).toBe(404);
  });

  it.each([
    [{ cron: 'at noon' }, 'invalid_cron'],
    [{ cron: '0 25 * * *' }, 'invalid_cron'],
    [{ timezone: 'Nowhere/Town' }, 'invalid_timezone'],
    [{ queue: 'backups' }, 'unknown_queue'],
    [{ payload: { seriesId: 'views' } }, 'invalid_payload'],
    [{ id: 'has space' }, 'invalid_request'],
  ])('answers 400 for %j', async (change, code) => {
    const response = await call('POST', '/v1/schedules', fixture.a.manager, {
      id: 'bad',
      queue: 'predictions',
      payload: { seriesId: 'views', horizon: 2 },
      cron: '* * * * *',
      ...change,
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.code).toBe(code);
  });

  it('forecasts an uploaded series on every tick, each with a confidence score', async () => {
    const upload = await fixture.app.inject({
      method: 'PUT',
      url: '/v1/series/visits',
      headers: { ...fixture.a.manager.headers, 'content-type': 'text/csv' },
      payload: dailyCsv(40),
    });
    expect(upload.statusCode, upload.body).toBe(200);
    const created = await call('POST', '/v1/schedules', fixture.a.manager, {
      id: 'visits-every-second',
      queue: 'predictions',
      payload: { seriesId: 'visits', horizon: 5 },
      cron: '* * * * * *',
    });
    expect(created.statusCode, created.body).toBe(201);

    let done: JobRecord[] = [];
    for (let wait = 0; wait < 200 && done.length < 2; wait++) {
      await sleep(50);
      const jobs = await call('GET', '/v1/jobs?queue=predictions', fixture.a.user);
      done = jobs.json<{ jobs: JobRecord[] }>().jobs.filter((job) => job.state === 'completed');
    }
    await call('POST', '/v1/schedules/visits-every-second/pause', fixture.a.manager);
    expect(done.length).toBeGreaterThanOrEqual(2);
    for (const job of done) {
      expect(job.id).toMatch(/^schedule-visits-every-second-\d+000$/);
      const confidence = (job.result as { confidence: number }).confidence;
      expect(confidence).toBeGreaterThan(0);
      expect(confidence).toBeLessThanOrEqual(1);
    }
    const schedule = await call('GET', '/v1/schedules/visits-every-second', fixture.a.user);
    expect(schedule.json<JobSchedule>().lastRunAt).not.toBeNull();
  });
});
