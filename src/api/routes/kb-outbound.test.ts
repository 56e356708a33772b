import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH_ENV,
  type SignedIn,
  createUser,
  setUpAdmin,
} from '../../../test/helpers/auth-fixtures.js';
import { type GitHttpServer, startGitHttpServer } from '../../../test/helpers/git-http-server.js';
import { createTestKeel } from '../../../test/helpers/test-keel.js';

/** Spellings of this machine that a check on the text of a host name let through. */
const BYPASSES = [
  'https://localhost./kb.git',
  'https://localhost.localdomain/kb.git',
  'https://127%2e0%2e0%2e1/kb.git',
  'https://[::127.0.0.1]/kb.git',
  'https://[64:ff9b::127.0.0.1]/kb.git',
  'https://[::ffff:127.0.0.1]/kb.git',
  'https://2130706433/kb.git',
  'https://0177.0.0.1/kb.git',
  'https://0x7f.1/kb.git',
  'https://169.254.169.254/kb.git',
  'https://[fd00::1]/kb.git',
  'https://100.64.0.1/kb.git',
  'https://rebind.test/kb.git',
];

function bareRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'keel-outbound-'));
  const work = join(root, 'work');
  mkdirSync(work);
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@keel.invalid', ...args], {
      cwd,
      stdio: 'ignore',
    });
  git(work, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(work, 'guide.md'), '# Guide\n\nPinned addresses only.\n');
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', 'First');
  git(root, 'clone', '--quiet', '--bare', 'work', 'kb.git');
  return root;
}

describe('outbound address guard for git sources and webhooks', () => {
  let server: GitHttpServer;
  let harness: Awaited<ReturnType<typeof createTestKeel>>;
  let admin: SignedIn;
  let manager: SignedIn;
  // A DNS stand-in: rebind.test is loopback; flip.test is public when the source is added and
  // loopback when git connects (DNS rebinding); git.test is loopback and allowed by name.
  let flips = 0;
  const resolveHost = async (host: string): Promise<string[]> => {
    if (host === 'rebind.test' || host === 'git.test') return ['127.0.0.1'];
    if (host === 'flip.test') return (flips += 1) === 1 ? ['93.184.216.34'] : ['127.0.0.1'];
    return [];
  };

  beforeAll(async () => {
    server = await startGitHttpServer({
      projectRoot: bareRepository(),
      username: 'bot',
      password: 'pw',
    });
    harness = await createTestKeel(
      { ...AUTH_ENV, KEEL_OUTBOUND_ALLOW: 'git.test' },
      { bundled: false, resolveHost },
    );
    admin = await setUpAdmin(harness);
    manager = await createUser(harness.app, admin, {
      email: 'manager@example.com',
      role: 'manager',
      workspaceId: admin.user.workspaceId,
    });
  });
  afterAll(async () => {
    await harness.close();
    await server.close();
  });

  const addSource = (who: SignedIn, name: string, location: string) =>
    harness.app.inject({
      method: 'POST',
      url: '/v1/kb/sources',
      headers: who.headers,
      payload: { name, kind: 'git', location },
    });
  const sync = (id: string) =>
    harness.app.inject({
      method: 'POST',
      url: `/v1/kb/sources/${id}/sync?wait=true`,
      headers: admin.headers,
    });

  it.each(BYPASSES)('refuses %s at creation with a 400, for managers and admins', async (url) => {
    for (const who of [manager, admin]) {
      const response = await addSource(who, `bypass-${BYPASSES.indexOf(url)}`, url);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'outbound_address_refused',
        message: expect.stringContaining('not a public address'),
      });
    }
  });

  it('checks again when git connects: a name that now resolves to loopback is refused', async () => {
    const created = await addSource(
      admin,
      'flip',
      `http://flip.test:${new URL(server.origin).port}/kb.git`,
    );
    expect(created.statusCode, created.body).toBe(201);
    const before = server.requests.length;
    const report = await sync(created.json().id);
    expect(report.json()).toMatchObject({ status: 'failed' });
    expect(report.json().message).toContain('flip.test (127.0.0.1) is not a public address');
    expect(server.requests.length).toBe(before);
  });

  it('pins git to the checked address: an allowed name that no DNS knows syncs', async () => {
    const port = new URL(server.origin).port;
    const created = await addSource(admin, 'pinned', `http://bot:pw@git.test:${port}/kb.git`);
    expect(created.statusCode, created.body).toBe(201);
    const report = await sync(created.json().id);
    expect(report.json(), report.body).toMatchObject({ status: 'ok', added: 1 });
  });

  it('does not follow a redirect: a repository that moves elsewhere fails to sync', async () => {
    // An allowed host whose every answer is a redirect to the real repository: following it
    // would connect to an address the guard never checked.
    const redirects: string[] = [];
    const mover: Server = createServer((request, response) => {
      redirects.push(request.url ?? '');
      response.writeHead(302, { location: `${server.origin}${request.url ?? '/'}` }).end();
    });
    await new Promise<void>((listening) => mover.listen(0, '127.0.0.1', listening));
    const port = (mover.address() as { port: number }).port;
    try {
      const created = await addSource(admin, 'moved', `http://git.test:${port}/kb.git`);
      expect(created.statusCode, created.body).toBe(201);
      const before = server.requests.length;
      const report = await sync(created.json().id);
      expect(report.json()).toMatchObject({ status: 'failed' });
      expect(redirects.length).toBeGreaterThan(0);
      expect(server.requests.length).toBe(before);
    } finally {
      await new Promise((closed) => mover.close(closed));
    }
  });

  it('refuses a webhook to a private address when it is enqueued', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'http://rebind.test/hook',
    ]) {
      const response = await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: admin.headers,
        payload: { queue: 'webhooks', payload: { url, event: 'job.completed', payload: {} } },
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error.code).toBe('outbound_address_refused');
    }
  });
});
