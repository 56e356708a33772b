import { appendFileSync, cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFixture,
  activatePolicyFiles,
  createAuthFixture,
} from '../../../test/helpers/auth-fixtures.js';
import { installRoot } from '../../config/config.js';

describe('policy versions: files, diff and activations', () => {
  let fixture: AuthFixture;
  let policiesDir: string;
  let first: string;
  let second: string;
  let prompt: string;
  const get = (url: string, headers = fixture.admin.headers) =>
    fixture.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    // A copy of the policies, so the test can change a file on disk.
    policiesDir = join(mkdtempSync(join(tmpdir(), 'keel-policies-')), 'policies');
    cpSync(join(installRoot, 'policies'), policiesDir, { recursive: true });
    fixture = await createAuthFixture({ KEEL_POLICIES_DIR: policiesDir }, { bundled: false });
    first = (await fixture.harness.keel.policies.current()).version;
    prompt = `prompts/${readdirSync(join(policiesDir, 'prompts'))[0]}`;
    appendFileSync(join(policiesDir, prompt), '\nAlways be brief.\n');
    second = (await activatePolicyFiles(fixture.app, fixture.admin, 'new tests')).version;
    const rolledBack = await fixture.app.inject({
      method: 'POST',
      url: '/v1/policies/rollback',
      headers: fixture.admin.headers,
      payload: {},
    });
    expect(rolledBack.statusCode, rolledBack.body).toBe(200);
  });
  afterAll(() => fixture.close());

  it('lists activations and rollbacks, newest first', async () => {
    const response = await get('/v1/policies/activations', fixture.a.user.headers);
    expect(response.statusCode).toBe(200);
    const { activations } = response.json<{
      activations: { version: string; action: string; actor: string }[];
    }>();
    expect(activations.map((row) => [row.version, row.action])).toEqual([
      [first, 'rollback'],
      [second, 'activate'],
      [first, 'activate'],
    ]);
    expect(activations[0]?.actor).toBe('user:admin@example.com');
  });

  it('compares two versions file by file', async () => {
    const response = await get(`/v1/policies/diff?from=${first}&to=${second.slice(0, 8)}`);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{
      from: string;
      to: string;
      files: { path: string; status: string; before: string | null; after: string | null }[];
    }>();
    expect([body.from, body.to]).toEqual([first, second]);
    const changed = body.files.find((file) => file.path === prompt);
    expect(changed?.status).toBe('changed');
    expect(changed?.after).toBe(`${changed?.before}\nAlways be brief.\n`);
    const same = body.files.find((file) => file.path === 'policy.yaml');
    expect(same?.status).toBe('same');
    expect(same?.before).toBe(same?.after);
  });

  it("returns one version's files, marking the active one", async () => {
    const response = await get('/v1/policies/active');
    expect(response.statusCode).toBe(200);
    const body = response.json<{ version: string; active: boolean; files: { path: string }[] }>();
    expect(body).toMatchObject({ version: first, active: true });
    expect(body.files.map((file) => file.path)).toContain('policy.yaml');
    expect((await get(`/v1/policies/${second}`)).json().active).toBe(false);
  });

  it('answers 404 for an unknown version and 400 for a malformed one', async () => {
    expect((await get('/v1/policies/deadbeef')).statusCode).toBe(404);
    expect((await get('/v1/policies/not-a-version')).statusCode).toBe(400);
    expect((await get('/v1/policies/diff?to=disk')).statusCode).toBe(400);
  });

  it('shows policy contents to admins only', async () => {
    expect((await get('/v1/policies/active', fixture.a.manager.headers)).statusCode).toBe(403);
    const diff = await get(`/v1/policies/diff?from=${first}`, fixture.a.user.headers);
    expect(diff.statusCode).toBe(403);
  });
});
