import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../../test/helpers/test-keel.js';

describe('knowledge routes', () => {
  let keel: Awaited<ReturnType<typeof createTestKeel>>;
  beforeAll(async () => {
    keel = await createTestKeel();
  });
  afterAll(() => keel.close());

  it('GET /v1/kb/search returns hits in the documented shape', async () => {
    const response = await keel.app.inject({
      method: 'GET',
      url: '/v1/kb/search?q=roll%20back%20a%20policy&k=3',
    });
    expect(response.statusCode).toBe(200);
    const { hits, mode } = response.json();
    expect(mode).toBe('lexical');
    expect(hits).toHaveLength(3);
    expect(Object.keys(hits[0]).sort()).toEqual(
      ['heading', 'lines', 'path', 'score', 'scores', 'source', 'text', 'version'].sort(),
    );
    expect(hits[0].path).toBe('policies.md');
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);
  });

  it.each([
    ['/v1/kb/search', 'invalid_request'],
    ['/v1/kb/search?q=', 'invalid_request'],
    ['/v1/kb/search?q=x&k=1000', 'invalid_request'],
    ['/v1/kb/search?q=x&k=abc', 'invalid_request'],
  ])('GET %s is a 400', async (url, code) => {
    const response = await keel.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe(code);
  });

  it('treats search syntax in the query as words', async () => {
    const response = await keel.app.inject({
      method: 'GET',
      url: `/v1/kb/search?q=${encodeURIComponent('"policy" AND (rollback* OR NEAR(x')}`,
    });
    expect(response.statusCode).toBe(200);
  });

  it('lists the bundled source with its version and counts', async () => {
    const { sources } = (await keel.app.inject({ method: 'GET', url: '/v1/kb/sources' })).json();
    expect(sources[0]).toMatchObject({
      name: 'keel-docs',
      kind: 'folder',
      lastSyncStatus: 'ok',
      errors: [],
    });
    expect(sources[0].documents).toBeGreaterThan(5);
    expect(sources[0].chunks).toBeGreaterThan(sources[0].documents);
    expect(sources[0].version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('adds a folder source, syncs it, records broken files by name, and keeps serving', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keel-source-'));
    mkdirSync(join(folder, 'faq'));
    writeFileSync(
      join(folder, 'faq', 'refunds.md'),
      '# Refunds\n\nRefunds are paid within five working days.\n',
    );
    writeFileSync(join(folder, 'broken.json'), '{"title": "half');
    const created = await keel.app.inject({
      method: 'POST',
      url: '/v1/kb/sources',
      payload: { name: 'support', kind: 'folder', location: folder },
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json();

    const report = await keel.app.inject({
      method: 'POST',
      url: `/v1/kb/sources/${id}/sync?wait=true`,
    });
    expect(report.statusCode).toBe(200);
    expect(report.json()).toMatchObject({
      status: 'partial',
      added: 1,
      errors: [{ path: 'broken.json' }],
    });

    const search = await keel.app.inject({
      method: 'GET',
      url: '/v1/kb/search?q=refunds%20working%20days&k=1',
    });
    expect(search.json().hits[0]).toMatchObject({ path: 'faq/refunds.md', source: 'support' });

    const background = await keel.app.inject({ method: 'POST', url: `/v1/kb/sources/${id}/sync` });
    expect(background.statusCode).toBe(202);
  });

  it.each([
    [
      { name: 'x', kind: 'folder', location: '/definitely/not/here' },
      400,
      'source_location_invalid',
    ],
    [{ name: 'bad name!', kind: 'folder', location: '/tmp' }, 400, 'invalid_request'],
    [{ name: 'y', kind: 'svn', location: '/tmp' }, 400, 'invalid_request'],
    [
      { name: 'z', kind: 'git', location: '--upload-pack=touch /tmp/pwned' },
      400,
      'git_url_rejected',
    ],
    [{ name: 'keel-docs', kind: 'folder', location: '/tmp' }, 409, 'source_exists'],
  ])('refuses a bad source %j', async (payload, status, code) => {
    const response = await keel.app.inject({ method: 'POST', url: '/v1/kb/sources', payload });
    expect(response.statusCode).toBe(status);
    expect(response.json().error.code).toBe(code);
  });

  it('never shows the credentials of a git URL, to the adder or in the list', async () => {
    const payload = {
      name: 'private-wiki',
      kind: 'git',
      location: 'https://bot:s3cret-pass@git.example.com/team/wiki.git',
    };
    const created = await keel.app.inject({ method: 'POST', url: '/v1/kb/sources', payload });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('s3cret-pass');
    expect(created.json().location).toBe('https://git.example.com/team/wiki.git');
    const listed = await keel.app.inject({ method: 'GET', url: '/v1/kb/sources' });
    expect(listed.body).not.toContain('s3cret-pass');
    expect(listed.body).toContain('https://git.example.com/team/wiki.git');
  });

  it('404s a sync of an unknown source', async () => {
    const response = await keel.app.inject({ method: 'POST', url: '/v1/kb/sources/src_nope/sync' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('source_not_found');
  });
});
