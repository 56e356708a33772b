import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  chatAs,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';

interface AuditPage {
  records: {
    id: number;
    actor: string | null;
    action: string;
    target: string | null;
    details: { workspaceId: string; steps: { reasons: string[] }[] };
  }[];
  nextCursor: string | null;
}

describe('GET /v1/audit', () => {
  let fixture: AuthFixture;
  const read = (headers: { authorization: string }, query = '') =>
    fixture.app.inject({ method: 'GET', url: `/v1/audit${query}`, headers });

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
    for (const person of [fixture.a.user, fixture.b.user, fixture.b.user]) {
      await chatAs(fixture.app, person);
    }
  });
  afterAll(() => fixture.close());

  it('shows an admin every workspace, newest first, naming who asked', async () => {
    const response = await read(fixture.admin.headers, '?action=chat');
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
    expect(new Set(records.map((record) => record.details.workspaceId))).toEqual(
      new Set([fixture.a.id]),
    );
    expect(records.filter((record) => record.action === 'chat')).toHaveLength(1);
  });

  it('records administration too: who created, changed or revoked what', async () => {
    const created = await fixture.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: fixture.a.manager.headers,
      payload: { name: 'audited', scopes: ['chat'] },
    });
    const keyId = created.json<{ apiKey: { id: string } }>().apiKey.id;
    await fixture.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${keyId}`,
      headers: fixture.a.manager.headers,
    });
    const person = await fixture.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: fixture.admin.headers,
      payload: { email: 'audited@example.com', password: 'a long enough passphrase', role: 'user' },
    });
    const personId = person.json<{ id: string }>().id;
    await fixture.app.inject({
      method: 'PATCH',
      url: `/v1/users/${personId}`,
      headers: fixture.admin.headers,
      payload: { role: 'manager' },
    });

    const keys = (await read(fixture.admin.headers, '?action=api-key.create')).json<AuditPage>();
    expect(keys.records[0]).toMatchObject({
      actor: 'user:manager.alpha@example.com',
      target: `api-key:${keyId}`,
      details: {
        workspaceId: fixture.a.id,
        steps: [{ reasons: ['name: audited', 'scopes: chat'] }],
      },
    });
    const revoked = (await read(fixture.admin.headers, '?action=api-key.revoke')).json<AuditPage>();
    expect(revoked.records[0]?.target).toBe(`api-key:${keyId}`);
    const roles = (await read(fixture.admin.headers, '?action=user.update')).json<AuditPage>();
    expect(roles.records[0]).toMatchObject({
      actor: 'user:admin@example.com',
      target: `user:${personId}`,
      details: { steps: [{ reasons: ['role: manager'] }] },
    });
    // The fixture's own set-up is there as well: two workspaces, each with two people.
    const users = (await read(fixture.admin.headers, '?action=user.create')).json<AuditPage>();
    expect(users.records).toHaveLength(5);
    expect(users.records[0]?.target).toBe(`user:${personId}`);
    // Nothing secret is recorded: no password, no key.
    expect(JSON.stringify(keys.records)).not.toContain(created.json<{ key: string }>().key);
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
