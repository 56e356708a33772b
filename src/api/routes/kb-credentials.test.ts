import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH_ENV,
  type SignedIn,
  createApiKey,
  createUser,
  setUpAdmin,
} from '../../../test/helpers/auth-fixtures.js';
import { type GitHttpServer, startGitHttpServer } from '../../../test/helpers/git-http-server.js';
import { createTestKeel } from '../../../test/helpers/test-keel.js';
import { createLogger } from '../../telemetry/logger.js';

const USERNAME = 'kb-robot';
const PASSWORD = 'pw-Zq81-hunter2-never-shown';
const PHRASE = 'quokkas audit the lighthouse';

function git(cwd: string, ...args: string[]): void {
  execFileSync(
    'git',
    ['-c', 'user.name=Keel Test', '-c', 'user.email=test@keel.invalid', ...args],
    { cwd, stdio: 'ignore' },
  );
}

/** A bare repository `kb.git` in a fresh project root, holding one Markdown file. */
function privateRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'keel-git-http-'));
  const work = join(root, 'work');
  mkdirSync(work);
  git(work, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(work, 'lighthouse.md'), `# Lighthouse\n\nOn Fridays ${PHRASE}.\n`);
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', 'First');
  git(root, 'clone', '--quiet', '--bare', 'work', 'kb.git');
  return root;
}

/** Everything the process logged, as text. */
function logCapture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { logger: createLogger('trace', stream), text: () => text };
}

const withoutSecret = (text: string) => {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(encodeURIComponent(PASSWORD));
  expect(text).not.toContain(Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64'));
};

describe('git source credentials', () => {
  let server: GitHttpServer;
  let harness: Awaited<ReturnType<typeof createTestKeel>>;
  let admin: SignedIn;
  let reader: SignedIn;
  const logs = logCapture();

  beforeAll(async () => {
    server = await startGitHttpServer({
      projectRoot: privateRepository(),
      username: USERNAME,
      password: PASSWORD,
    });
    harness = await createTestKeel(
      { ...AUTH_ENV, KEEL_OUTBOUND_ALLOW: '127.0.0.1' },
      { bundled: false, logger: logs.logger },
    );
    admin = await setUpAdmin(harness);
    reader = await createUser(harness.app, admin, {
      email: 'reader@example.com',
      role: 'user',
      workspaceId: admin.user.workspaceId,
    });
  });
  afterAll(async () => {
    await harness.close();
    await server.close();
  });

  const addSource = async (name: string, location: string) => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/kb/sources',
      headers: admin.headers,
      payload: { name, kind: 'git', location },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response;
  };
  const sync = (id: string) =>
    harness.app.inject({
      method: 'POST',
      url: `/v1/kb/sources/${id}/sync?wait=true`,
      headers: admin.headers,
    });
  const repository = () => `${server.origin.replace('://', `://${USERNAME}:${PASSWORD}@`)}/kb.git`;

  it('syncs a private repository with the credential, which no answer, listing, audit or log shows', async () => {
    const created = await addSource('private', repository());
    withoutSecret(created.body);
    expect(created.json().location).toBe(`${server.origin}/kb.git`);
    const report = await sync(created.json().id);
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json()).toMatchObject({ status: 'ok', added: 1 });
    withoutSecret(report.body);
    // git sent the credential as a header: the server saw it, not in any URL.
    expect(server.requests.every((request) => !request.url.includes(PASSWORD))).toBe(true);

    const search = await harness.app.inject({
      method: 'GET',
      url: `/v1/kb/search?q=${encodeURIComponent(PHRASE)}`,
      headers: reader.headers,
    });
    expect(search.json().hits[0].text).toContain(PHRASE);

    const key = await createApiKey(harness.app, reader, ['kb:read']);
    for (const headers of [reader.headers, key.headers, admin.headers]) {
      const listing = await harness.app.inject({ method: 'GET', url: '/v1/kb/sources', headers });
      expect(listing.statusCode).toBe(200);
      expect(listing.json().sources[0].location).toBe(`${server.origin}/kb.git`);
      withoutSecret(listing.body);
    }
    const audit = await harness.app.inject({
      method: 'GET',
      url: '/v1/audit',
      headers: admin.headers,
    });
    expect(audit.body).toContain('source.create');
    withoutSecret(audit.body);
    expect(logs.text()).toContain('knowledge source synced');
    withoutSecret(logs.text());
  });

  it('stores the credential sealed, apart from the URL', () => {
    const db = new BetterSqlite3(join(harness.dataDir, 'keel.db'), { readonly: true });
    try {
      const row = db
        .prepare(`select location, sealed_credential from sources where name = 'private'`)
        .get() as { location: string; sealed_credential: string };
      expect(row.location).toBe(`${server.origin}/kb.git`);
      expect(row.sealed_credential).toMatch(/^v1:/);
      withoutSecret(row.sealed_credential);
      expect(row.sealed_credential).not.toContain(USERNAME);
    } finally {
      db.close();
    }
  });

  it('fails to sync without the credential or with a wrong one, and the message shows neither', async () => {
    const bare = await addSource('no-credential', `${server.origin}/kb.git`);
    const wrong = await addSource(
      'wrong-credential',
      `${server.origin.replace('://', `://${USERNAME}:not-${PASSWORD}@`)}/kb.git`,
    );
    for (const source of [bare, wrong]) {
      const report = await sync(source.json().id);
      expect(report.json()).toMatchObject({ status: 'failed' });
      expect(report.json().message).toMatch(/git (clone|fetch) failed/);
      expect(report.body).not.toContain(`not-${PASSWORD}`);
      withoutSecret(report.body);
    }
    withoutSecret(logs.text());
  });

  it('refuses a password in an ssh URL instead of storing it', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/kb/sources',
      headers: admin.headers,
      payload: { name: 'ssh', kind: 'git', location: `ssh://git:${PASSWORD}@example.com/kb.git` },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('git_url_rejected');
    withoutSecret(response.body);
  });
});

describe('git source credentials stored in the URL by an earlier release', () => {
  it('are moved into the sealed column at the next start, and sync still authenticates', async () => {
    const server = await startGitHttpServer({
      projectRoot: privateRepository(),
      username: USERNAME,
      password: PASSWORD,
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'keel-legacy-'));
    const env = { KEEL_DATA_DIR: dataDir, KEEL_OUTBOUND_ALLOW: '127.0.0.1' };
    const legacyUrl = `${server.origin.replace('://', `://${USERNAME}:${encodeURIComponent(PASSWORD)}@`)}/kb.git`;
    try {
      const before = await createTestKeel(env, { bundled: false, worker: false });
      // What an earlier release stored: the credential inside the location.
      const source = await before.keel.store.createSource({
        name: 'legacy',
        kind: 'git',
        location: legacyUrl,
      });
      await before.close();

      const after = await createTestKeel(env, { bundled: false, worker: false });
      try {
        const stored = await after.keel.store.getSource(source.id);
        expect(stored?.location).toBe(`${server.origin}/kb.git`);
        withoutSecret(String(await after.keel.store.sourceCredential(source.id)));
        const report = await after.keel.syncSource(stored!);
        expect(report).toMatchObject({ status: 'ok', added: 1 });
      } finally {
        await after.close();
      }
    } finally {
      await server.close();
    }
  });
});
