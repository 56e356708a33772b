import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, createAuthFixture } from '../../../test/helpers/auth-fixtures.js';

interface AuditPage {
  records: { id: number; actor: string | null; action: string; details: { workspaceId: string } }[];
  nextCursor: string | null;
}

describe('GET /v1/audit', () => {
  let fixture: AuthFixture;
  const read = (headers: { authorization: string }, query = '') =>
    fixture.app.inject({ method: 'GET', url: `/v1/audit${query}`, headers });

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
    for (const person of [fixture.a.user, fixture.b.user, fixture.b.user]) {
      const answer = await fixture.app.inject({
        method: 'POST',
        url: '/v1/chat',
        headers: person.headers,
        payload: { message: 'How do I roll back a policy?' },
      });
      expect(answer.statusCode).toBe(200);
    }
  });
  afterAll(() => fixture.close());

  it('shows an admin every workspace, newest first, naming who asked', async () => {
    const response = await read(fixture.admin.headers);
    expect(response.statusCode).toBe(200);
    const { records } = response.json<AuditPage>();
    expect(records.map((record) => record.actor)).toEqual([
      'user:user.bravo@example.com',
      'user:user.bravo@example.com',
      'user:user.alpha@example.com',
    ]);
    expect(records[0]).toMatchObject({
      action: 'chat',
      details: { policyVersion: expect.any(String) },
    });
  });

  it("shows a manager only their workspace's records", async () => {
    const { records } = (await read(fixture.a.manager.headers)).json<AuditPage>();
    expect(records.map((record) => record.details.workspaceId)).toEqual([fixture.a.id]);
  });

  it('filters by actor and action, and pages with a cursor', async () => {
    const mine = (
      await read(fixture.admin.headers, '?actor=user:user.bravo@example.com&limit=1')
    ).json<AuditPage>();
    expect(mine.records).toHaveLength(1);
    const next = (
      await read(
        fixture.admin.headers,
        `?actor=user:user.bravo@example.com&limit=1&cursor=${mine.nextCursor}`,
      )
    ).json<AuditPage>();
    expect(next.records[0]!.id).toBeLessThan(mine.records[0]!.id);
    expect(next.nextCursor).toBeNull();
    const none = (await read(fixture.admin.headers, '?action=embed')).json<AuditPage>();
    expect(none.records).toEqual([]);
    const future = (await read(fixture.admin.headers, '?from=2999-01-01')).json<AuditPage>();
    expect(future.records).toEqual([]);
  });

  it('answers 400 for bad filters and 403 for plain users', async () => {
    expect((await read(fixture.admin.headers, '?from=yesterday')).statusCode).toBe(400);
    expect((await read(fixture.admin.headers, '?from=2025-02-01&to=2025-01-01')).statusCode).toBe(
      400,
    );
    expect((await read(fixture.admin.headers, '?limit=1000')).statusCode).toBe(400);
    expect((await read(fixture.admin.headers, '?cursor=eyJpZCI6LTF9')).statusCode).toBe(400);
    expect((await read(fixture.a.user.headers)).statusCode).toBe(403);
  });
});
