import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  type BearerHeaders,
  type SignedIn,
  createApiKey,
  createAuthFixture,
  createUser,
} from '../../../test/helpers/auth-fixtures.js';

/** A folder holding one Markdown file, for a workspace's own knowledge source. */
function folderWith(file: string, text: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'keel-idor-'));
  writeFileSync(join(folder, file), text);
  return folder;
}

const ALPHA_SECRET = 'quillfeather';
const ALPHA_DOC = `# Zebrafish protocol\n\nThe zebrafish protocol codeword is ${ALPHA_SECRET}. The alpha lab cleans the zebrafish tanks every Thursday.\n`;
const BRAVO_DOC =
  '# Lighthouse rota\n\nThe lighthouse keeper rota changes every Monday for the bravo harbour crew.\n';

/**
 * Object-level access between two workspaces: nothing of workspace A can be read, searched,
 * cited, synced, revoked or edited from workspace B by id — the answer is 404, as if it did not
 * exist — while A itself can (the positive control in each test).
 */
describe('object-level access between workspaces A and B', () => {
  let fixture: AuthFixture;
  let alphaSourceId: string;
  let bravoSourceId: string;
  /** An admin who works in workspace A (server folders need the admin role). */
  let alphaAdmin: SignedIn;

  async function addFolderSource(admin: SignedIn, name: string, location: string) {
    const created = await fixture.app.inject({
      method: 'POST',
      url: '/v1/kb/sources',
      headers: admin.headers,
      payload: { name, kind: 'folder', location },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json<{ id: string }>();
    const synced = await fixture.app.inject({
      method: 'POST',
      url: `/v1/kb/sources/${id}/sync?wait=true`,
      headers: admin.headers,
    });
    expect(synced.json()).toMatchObject({ status: 'ok', added: 1 });
    return id;
  }

  const get = (url: string, headers: BearerHeaders) =>
    fixture.app.inject({ method: 'GET', url, headers });
  const chat = (message: string, headers: BearerHeaders) =>
    fixture.app.inject({ method: 'POST', url: '/v1/chat', headers, payload: { message } });

  beforeAll(async () => {
    fixture = await createAuthFixture();
    // Server folders need the admin role, and a source belongs to its creator's workspace: each
    // workspace gets an admin of its own to add one.
    alphaAdmin = await createUser(fixture.app, fixture.admin, {
      email: 'admin.alpha@example.com',
      role: 'admin',
      workspaceId: fixture.a.id,
    });
    const bravoAdmin = await createUser(fixture.app, fixture.admin, {
      email: 'admin.bravo@example.com',
      role: 'admin',
      workspaceId: fixture.b.id,
    });
    alphaSourceId = await addFolderSource(
      alphaAdmin,
      'alpha-notes',
      folderWith('zebrafish.md', ALPHA_DOC),
    );
    bravoSourceId = await addFolderSource(
      bravoAdmin,
      'bravo-notes',
      folderWith('lighthouse.md', BRAVO_DOC),
    );
  });
  afterAll(() => fixture.close());

  it("neither workspace's manager can sync the other's source by id (404); its own can", async () => {
    const fromB = await fixture.app.inject({
      method: 'POST',
      url: `/v1/kb/sources/${alphaSourceId}/sync?wait=true`,
      headers: fixture.b.manager.headers,
    });
    expect(fromB.statusCode).toBe(404);
    expect(fromB.json().error.code).toBe('source_not_found');

    const fromA = await fixture.app.inject({
      method: 'POST',
      url: `/v1/kb/sources/${alphaSourceId}/sync?wait=true`,
      headers: fixture.a.manager.headers,
    });
    expect(fromA.statusCode).toBe(200);
    expect(fromA.json()).toMatchObject({ sourceId: alphaSourceId, name: 'alpha-notes' });

    const aIntoB = await fixture.app.inject({
      method: 'POST',
      url: `/v1/kb/sources/${bravoSourceId}/sync`,
      headers: fixture.a.manager.headers,
    });
    expect(aIntoB.statusCode).toBe(404);
  });

  it("lists each workspace's sources only", async () => {
    const names = async (headers: BearerHeaders) =>
      (await get('/v1/kb/sources', headers))
        .json<{ sources: { id: string; name: string }[] }>()
        .sources.map((source) => source.name);
    expect(await names(fixture.a.user.headers)).toEqual(['alpha-notes']);
    expect(await names(fixture.b.user.headers)).toEqual(['bravo-notes']);
    expect(await names(fixture.b.manager.headers)).toEqual(['bravo-notes']);
  });

  it("never returns A's documents to B's search, by user or by API key", async () => {
    const url = `/v1/kb/search?q=${encodeURIComponent(`zebrafish protocol codeword ${ALPHA_SECRET}`)}`;
    const fromA = await get(url, fixture.a.user.headers);
    expect(fromA.json().hits[0]).toMatchObject({ source: 'alpha-notes', path: 'zebrafish.md' });

    const bravoKey = await createApiKey(fixture.app, fixture.b.user, ['kb:read']);
    for (const headers of [fixture.b.user.headers, fixture.b.manager.headers, bravoKey.headers]) {
      const response = await get(url, headers);
      expect(response.statusCode).toBe(200);
      const hits = response.json<{ hits: { source: string; text: string }[] }>().hits;
      expect(hits.filter((hit) => hit.source !== 'bravo-notes')).toEqual([]);
      expect(JSON.stringify(hits)).not.toContain(ALPHA_SECRET);
    }
    const bravoOwn = await get('/v1/kb/search?q=lighthouse%20keeper', fixture.b.user.headers);
    expect(bravoOwn.json().hits[0]).toMatchObject({ source: 'bravo-notes' });
  });

  it("never cites A's chunks in B's chat; A's chat cites them", async () => {
    const question = 'What is the zebrafish protocol codeword?';
    const fromA = await chat(question, fixture.a.user.headers);
    expect(fromA.statusCode, fromA.body).toBe(200);
    expect(fromA.json().citations.map((citation: { path: string }) => citation.path)).toContain(
      'zebrafish.md',
    );
    expect(fromA.json().answer).toContain(ALPHA_SECRET);
    expect(Object.keys(fromA.json().knowledgeVersions)).toEqual(['alpha-notes']);

    const fromB = await chat(question, fixture.b.user.headers);
    expect(fromB.statusCode, fromB.body).toBe(200);
    const answer = fromB.json();
    expect(answer.citations.filter((c: { path: string }) => c.path === 'zebrafish.md')).toEqual([]);
    expect(answer.answer).not.toContain(ALPHA_SECRET);
    expect(Object.keys(answer.knowledgeVersions)).toEqual(['bravo-notes']);
  });

  it('does not reveal that A uses a source name: B can take the same one', async () => {
    const add = (headers: BearerHeaders) =>
      fixture.app.inject({
        method: 'POST',
        url: '/v1/kb/sources',
        headers,
        payload: { name: 'team-wiki', kind: 'git', location: 'https://example.com/team/wiki.git' },
      });
    expect((await add(fixture.a.manager.headers)).statusCode).toBe(201);
    expect((await add(fixture.b.manager.headers)).statusCode).toBe(201);
    expect((await add(fixture.b.manager.headers)).statusCode).toBe(409);
  });

  it("B cannot revoke A's API key (404), and A's key keeps working", async () => {
    const alphaKey = await createApiKey(fixture.app, fixture.a.user, ['kb:read'], 'alpha key');
    for (const headers of [fixture.b.user.headers, fixture.b.manager.headers]) {
      const revoke = await fixture.app.inject({
        method: 'DELETE',
        url: `/v1/api-keys/${alphaKey.id}`,
        headers,
      });
      expect(revoke.statusCode).toBe(404);
      expect(revoke.json().error.code).toBe('api_key_not_found');
    }
    expect((await get('/v1/me', alphaKey.headers)).statusCode).toBe(200);

    const listedForB = await get('/v1/api-keys', fixture.b.manager.headers);
    expect(listedForB.json().apiKeys.map((key: { id: string }) => key.id)).not.toContain(
      alphaKey.id,
    );
    const listedForA = await get('/v1/api-keys', fixture.a.manager.headers);
    expect(listedForA.json().apiKeys.map((key: { id: string }) => key.id)).toContain(alphaKey.id);

    const ownRevoke = await fixture.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${alphaKey.id}`,
      headers: fixture.a.user.headers,
    });
    expect(ownRevoke.statusCode).toBe(200);
    expect((await get('/v1/me', alphaKey.headers)).statusCode).toBe(401);
  });

  it("A's manager may revoke A's users' keys, but not the key of an admin working in A", async () => {
    const adminKey = await createApiKey(fixture.app, alphaAdmin, ['admin'], 'ops');
    const userKey = await createApiKey(fixture.app, fixture.a.user, ['chat'], 'bot');
    const revoke = (id: string) =>
      fixture.app.inject({
        method: 'DELETE',
        url: `/v1/api-keys/${id}`,
        headers: fixture.a.manager.headers,
      });
    const refused = await revoke(adminKey.id);
    expect(refused.statusCode).toBe(403);
    expect((await get('/v1/me', adminKey.headers)).statusCode).toBe(200);
    expect((await revoke(userKey.id)).statusCode).toBe(200);
    expect((await get('/v1/me', userKey.headers)).statusCode).toBe(401);
  });

  it("a user cannot revoke a colleague's key in the same workspace (404)", async () => {
    const managerKey = await createApiKey(fixture.app, fixture.a.manager, ['chat']);
    const revoke = await fixture.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${managerKey.id}`,
      headers: fixture.a.user.headers,
    });
    expect(revoke.statusCode).toBe(404);
    expect((await get('/v1/me', managerKey.headers)).statusCode).toBe(200);
  });

  it("B's manager cannot PATCH A's user (404); A's manager can", async () => {
    const target = await createUser(fixture.app, fixture.a.manager, {
      email: 'target.alpha@example.com',
      role: 'user',
      workspaceId: fixture.a.id,
    });
    for (const body of [{ disabled: true }, { role: 'manager' }]) {
      const patch = await fixture.app.inject({
        method: 'PATCH',
        url: `/v1/users/${target.user.id}`,
        headers: fixture.b.manager.headers,
        payload: body,
      });
      expect(patch.statusCode).toBe(404);
      expect(patch.json().error.code).toBe('user_not_found');
    }
    const me = await get('/v1/me', target.headers);
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ role: 'user', disabledAt: null });

    const fromA = await fixture.app.inject({
      method: 'PATCH',
      url: `/v1/users/${target.user.id}`,
      headers: fixture.a.manager.headers,
      payload: { disabled: true },
    });
    expect(fromA.statusCode).toBe(200);
    expect(fromA.json().disabledAt).not.toBeNull();
  });

  it('managers see and create users of their own workspace only, and never admins', async () => {
    const listed = await get('/v1/users', fixture.b.manager.headers);
    const emails = listed.json<{ users: { email: string; workspaceId: string }[] }>().users;
    expect(emails.length).toBeGreaterThanOrEqual(2);
    expect(emails.every((user) => user.workspaceId === fixture.b.id)).toBe(true);

    const intoA = await fixture.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: fixture.b.manager.headers,
      payload: {
        email: 'planted@example.com',
        password: 'a long enough passphrase',
        workspaceId: fixture.a.id,
      },
    });
    expect(intoA.statusCode).toBe(403);

    const anAdmin = await fixture.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: fixture.b.manager.headers,
      payload: { email: 'boss@example.com', password: 'a long enough passphrase', role: 'admin' },
    });
    expect(anAdmin.statusCode).toBe(403);

    const promote = await fixture.app.inject({
      method: 'PATCH',
      url: `/v1/users/${fixture.b.user.user.id}`,
      headers: fixture.b.manager.headers,
      payload: { role: 'admin' },
    });
    expect(promote.statusCode).toBe(403);

    const adminOfDefault = await fixture.app.inject({
      method: 'PATCH',
      url: `/v1/users/${fixture.admin.user.id}`,
      headers: fixture.b.manager.headers,
      payload: { disabled: true },
    });
    expect(adminOfDefault.statusCode).toBe(404);
  });

  it("workspace usage is the workspace's own, and a user cannot read it (403)", async () => {
    const denied = await get('/v1/usage?scope=workspace', fixture.b.user.headers);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('role_required');

    expect((await chat('How do I feed the zebrafish?', fixture.a.user.headers)).statusCode).toBe(
      200,
    );
    const workspacesIn = (body: { daily: { workspaceId: string }[] }) =>
      new Set(body.daily.map((row) => row.workspaceId));
    const alpha = (await get('/v1/usage?scope=workspace', fixture.a.manager.headers)).json();
    expect(alpha.today.calls).toBeGreaterThan(0);
    expect([...workspacesIn(alpha)]).toEqual([fixture.a.id]);
    const bravo = (await get('/v1/usage?scope=workspace', fixture.b.manager.headers)).json();
    expect([...workspacesIn(bravo)].filter((workspace) => workspace !== fixture.b.id)).toEqual([]);
    const bravoUser = (await get('/v1/usage', fixture.b.user.headers)).json();
    expect(
      bravoUser.daily.every((row: { userId: string }) => row.userId === fixture.b.user.user.id),
    ).toBe(true);
  });
});
