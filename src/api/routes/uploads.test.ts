import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody } from '../../../test/helpers/multipart.js';
import { type TestKeel, createTestKeel } from '../../../test/helpers/test-keel.js';
import { KnowledgeSync } from '../../kb/sync.js';
import { createLogger } from '../../telemetry/logger.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/uploads');

const multipart = (
  files: { name: string; bytes: Buffer | string }[],
  fields: Record<string, string> = {},
) =>
  multipartBody(
    files.map((file) => ({ field: 'file', ...file })),
    fields,
  );

describe('POST /v1/kb/uploads (real PDF, DOCX and HTML files)', () => {
  let keel: TestKeel;
  beforeAll(async () => {
    keel = await createTestKeel({ KEEL_UPLOAD_MAX_FILE_BYTES: '100000' }, { bundled: false });
  });
  afterAll(() => keel.close());

  const upload = async (
    files: { name: string; bytes: Buffer | string }[],
    fields?: Record<string, string>,
  ) =>
    keel.app.inject({ method: 'POST', url: '/v1/kb/uploads', ...(await multipart(files, fields)) });
  const fixture = (name: string) => readFile(join(fixtures, name));
  const search = async (q: string) =>
    (await keel.app.inject({ url: `/v1/kb/search?q=${encodeURIComponent(q)}&k=3` })).json().hits;

  it('extracts, stores and indexes a PDF, a DOCX and an HTML page in one request', async () => {
    const response = await upload([
      { name: 'lamp.pdf', bytes: await fixture('lamp.pdf') },
      { name: 'lamp.docx', bytes: await fixture('lamp.docx') },
      { name: 'guide.html', bytes: await fixture('guide.html') },
    ]);
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.source.name).toBe('uploads');
    // Documents are indexed and cited under the names they were uploaded with.
    expect(body.files.map((file: { path: string }) => file.path)).toEqual([
      'lamp.pdf',
      'lamp.docx',
      'guide.html',
    ]);
    expect(body.errors).toEqual([]);
    for (const file of body.files) expect(await keel.keel.blobs.exists(file.blobKey)).toBe(true);

    const hits = await search('dimmer wheel pulses blue');
    const paths = hits.map(
      (hit: { path: string; heading: string }) => `${hit.path}#${hit.heading}`,
    );
    expect(paths).toContain('lamp.docx#Lumo desk lamp > Pairing with the app');
    expect(paths.some((path: string) => /^lamp\.pdf#lamp > Page \d$/.test(path))).toBe(true);
    const html = await search('unfold panels sunlight');
    expect(html[0].path).toBe('guide.html');
    expect(html[0].text).not.toContain('alert');
  });

  it('answers a question from an uploaded document with a citation to it', async () => {
    const response = await keel.app.inject({
      method: 'POST',
      url: '/v1/chat',
      payload: { message: 'How do I pair the lamp with the app?' },
    });
    const [citation] = response.json().citations;
    expect(citation.path).toMatch(/^lamp\.(pdf|docx)$/);
    expect(citation.heading).toMatch(/^(lamp > Page \d|Lumo desk lamp > Pairing with the app)$/);
    expect(citation.lines[0]).toBeGreaterThan(0);
  });

  it('indexes from the blob store, so another process needs none of the API’s files', async () => {
    const source = (await keel.keel.store.listSources()).find(
      (candidate) => candidate.name === 'uploads',
    )!;
    // The API's local copy is gone, as on another machine: a worker syncs from the blob store.
    rmSync(join(keel.dataDir, 'uploads-mirror'), { recursive: true, force: true });
    const worker = new KnowledgeSync(keel.keel.store, {
      dataDir: mkdtempSync(join(tmpdir(), 'keel-other-process-')),
      logger: createLogger('silent'),
      blobs: keel.keel.blobs,
    });
    const report = await worker.sync(source);
    expect(report).toMatchObject({ status: 'ok', removed: 0, added: 0 });
    expect(report.documents).toBeGreaterThanOrEqual(3);
    const hits = await search('dimmer wheel pulses blue');
    expect(hits.some((hit: { path: string }) => hit.path === 'lamp.pdf')).toBe(true);
  });

  it('refuses a corrupt PDF with 422 and indexes nothing of it', async () => {
    const response = await upload([{ name: 'broken.pdf', bytes: await fixture('corrupt.pdf') }]);
    expect(response.statusCode).toBe(422);
    expect(response.json().error.code).toBe('file_unreadable');
    const hits = await keel.app.inject({ url: '/v1/kb/search?q=broken&k=20' });
    expect(hits.json().hits.some((hit: { path: string }) => hit.path.startsWith('broken'))).toBe(
      false,
    );
    // The process is still serving.
    expect(
      (await upload([{ name: 'ok.md', bytes: '# Ok\n\nStill serving uploads.\n' }])).statusCode,
    ).toBe(201);
  });

  it('stores the good files of a request and reports the bad ones', async () => {
    const response = await upload([
      { name: 'notes.txt', bytes: 'Plain notes about the espresso grinder settings.' },
      { name: 'broken.pdf', bytes: await fixture('corrupt.pdf') },
    ]);
    expect(response.statusCode).toBe(201);
    expect(response.json().errors).toMatchObject([
      { name: 'broken.pdf', status: 422, code: 'file_unreadable' },
    ]);
  });

  it('answers 415 for a wrong type, 413 for a file over the limit, 400 without files', async () => {
    const exe = await upload([{ name: 'setup.exe', bytes: 'MZ' }]);
    expect(exe.statusCode).toBe(415);
    expect(exe.json().error.code).toBe('file_type_unsupported');
    const big = await upload([{ name: 'big.md', bytes: Buffer.alloc(200_000, 'a') }]);
    expect(big.statusCode).toBe(413);
    const none = await upload([], { source: '' });
    expect(none.statusCode).toBe(400);
    const json = await keel.app.inject({
      method: 'POST',
      url: '/v1/kb/uploads',
      payload: { a: 1 },
    });
    expect(json.statusCode).toBe(415);
  });

  it('replaces a document on a second upload (a new stored version) and deletes it', async () => {
    const first = await upload([
      { name: 'kettle.md', bytes: '# Kettle\n\nDescale it every month with citric acid.\n' },
    ]);
    const second = await upload([
      { name: 'kettle.md', bytes: '# Kettle\n\nDescale it every week with vinegar.\n' },
    ]);
    expect(second.json().files[0].blobKey).not.toBe(first.json().files[0].blobKey);
    const hits = await search('descale kettle');
    expect(hits[0].text).toContain('every week');
    const listed = await keel.app.inject({ url: '/v1/kb/uploads' });
    expect(listed.statusCode).toBe(200);
    expect(
      listed.json().documents.find((document: { name: string }) => document.name === 'kettle.md'),
    ).toMatchObject({ format: 'markdown', versions: 2, bytes: second.json().files[0].bytes });
    expect(hits.some((hit: { text: string }) => hit.text.includes('citric'))).toBe(false);

    const removed = await keel.app.inject({ method: 'DELETE', url: '/v1/kb/uploads/kettle.md' });
    expect(removed.statusCode).toBe(204);
    expect(await keel.keel.blobs.exists(second.json().files[0].blobKey)).toBe(false);
    expect(
      (await search('descale kettle')).some((hit: { path: string }) => hit.path === 'kettle.md'),
    ).toBe(false);
    expect(
      (await keel.app.inject({ method: 'DELETE', url: '/v1/kb/uploads/kettle.md' })).statusCode,
    ).toBe(404);
    const after = (await keel.app.inject({ url: '/v1/kb/uploads' })).json().documents;
    expect(after.map((document: { name: string }) => document.name)).not.toContain('kettle.md');
    expect(after.map((document: { name: string }) => document.name)).toContain('lamp.pdf');
  });

  it('refuses a source that is not an uploads source', async () => {
    const sources = (await keel.app.inject({ url: '/v1/kb/sources' })).json().sources;
    const uploads = sources.find((source: { name: string }) => source.name === 'uploads');
    expect(uploads).toBeDefined();
    const missing = await upload([{ name: 'a.md', bytes: '# A\n\nText here.\n' }], {
      source: 'src_nope',
    });
    expect(missing.statusCode).toBe(404);
  });
});
