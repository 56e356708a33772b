import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  chatAs,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';

interface SeriesBody {
  bucket: string;
  series: {
    key: string;
    label: string;
    points: { at: string; promptTokens: number; completionTokens: number; costUsd: number }[];
  }[];
  quotas: { name: string; used: number; limit: number; period: string; resetsAt: string }[];
}

describe('GET /v1/usage/series', () => {
  let fixture: AuthFixture;
  const read = (headers: { authorization: string }, query = '') =>
    fixture.app.inject({ method: 'GET', url: `/v1/usage/series${query}`, headers });

  beforeAll(async () => {
    fixture = await createAuthFixture(
      { KEEL_QUOTAS: JSON.stringify({ user: { day: { calls: 50 } } }) },
      { bundled: false },
    );
    for (const person of [fixture.a.user, fixture.a.user, fixture.b.user]) {
      await chatAs(fixture.app, person);
    }
  });
  afterAll(() => fixture.close());

  it("gives a user their own series per hour, labelled, with the quotas they're under", async () => {
    const response = await read(fixture.a.user.headers, '?bucket=hour');
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<SeriesBody>();
    expect(body.bucket).toBe('hour');
    expect(body.series.map((line) => line.label)).toEqual(['user.alpha@example.com']);
    const hour = new Date().toISOString().slice(0, 13);
    expect(body.series[0]?.points.map((point) => point.at)).toEqual([`${hour}:00:00.000Z`]);
    expect(body.quotas).toEqual([
      expect.objectContaining({ name: 'user.day.calls', used: 2, limit: 50, period: 'day' }),
    ]);
  });

  it('groups a workspace or everything by user or workspace, for managers and admins', async () => {
    const workspace = (
      await read(fixture.a.manager.headers, '?scope=workspace&groupBy=user')
    ).json<SeriesBody>();
    expect(workspace.series.map((line) => line.label)).toEqual(['user.alpha@example.com']);
    const all = (
      await read(fixture.admin.headers, '?scope=all&groupBy=workspace')
    ).json<SeriesBody>();
    expect(all.series.map((line) => line.label).sort()).toEqual(['Alpha', 'Bravo']);
  });

  it('applies the same role rules as GET /v1/usage', async () => {
    expect((await read(fixture.a.user.headers, '?scope=workspace')).statusCode).toBe(403);
    expect((await read(fixture.a.manager.headers, '?scope=all')).statusCode).toBe(403);
  });

  it('answers 400 for bad buckets, dates and ranges', async () => {
    expect((await read(fixture.admin.headers, '?bucket=week')).statusCode).toBe(400);
    expect((await read(fixture.admin.headers, '?from=last-week')).statusCode).toBe(400);
    expect((await read(fixture.admin.headers, '?from=2025-03-01&to=2025-02-01')).statusCode).toBe(
      400,
    );
    const wide = await read(fixture.admin.headers, '?bucket=hour&from=2024-01-01&to=2025-01-01');
    expect(wide.statusCode).toBe(400);
    expect(wide.json().error.code).toBe('range_too_wide');
  });
});
