import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, createAuthFixture } from '../../../test/helpers/auth-fixtures.js';
import { addSource } from '../../kb/sources.js';
import type { JobRecord } from '../../jobs/queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The injection classifier scores some guide requests ("… the factory reset …") over its threshold.
const PROMPT = 'Write a short guide to setting up backups';

describe('versions of generated documents, offline (extractive provider)', () => {
  let fixture: AuthFixture;

  const api = (
    method: 'GET' | 'POST',
    url: string,
    as: { headers: Record<string, string> },
    payload?: object,
  ) => fixture.app.inject({ method, url, headers: as.headers, ...(payload && { payload }) });

  async function finished(id: string): Promise<JobRecord> {
    for (let tries = 0; tries < 400; tries += 1) {
      const job = (await api('GET', `/v1/jobs/${id}`, fixture.a.user)).json<JobRecord>();
      if (!['queued', 'running'].includes(job.state)) return job;
      await sleep(25);
    }
    throw new Error(`job ${id} never finished`);
  }

  async function generate(documentId: string): Promise<JobRecord> {
    const created = await api('POST', '/v1/jobs', fixture.a.user, {
      queue: 'generate',
      payload: { prompt: PROMPT, documentId },
    });
    expect(created.statusCode, created.body).toBe(202);
    const job = await finished(created.json<JobRecord>().id);
    expect(job.state, job.error ?? '').toBe('completed');
    return job;
  }

  beforeAll(async () => {
    fixture = await createAuthFixture({}, { bundled: false });
    const folder = mkdtempSync(join(tmpdir(), 'keel-versions-manual-'));
    cpSync(join(import.meta.dirname, '../../../bench/manual'), folder, { recursive: true });
    const source = await addSource(
      fixture.harness.keel.store,
      { name: 'manual', kind: 'folder', location: folder },
      fixture.a.id,
    );
    const sync = await api('POST', `/v1/kb/sources/${source.id}/sync`, fixture.a.manager);
    expect(sync.statusCode, sync.body).toBe(202);
    await finished(sync.json<{ job: { id: string } }>().job.id);
  });
  afterAll(() => fixture.close());

  it('stores each run as a titled version, lists them and reads any one', async () => {
    const first = await generate('reset-guide');
    const second = await generate('reset-guide');

    const listed = await api('GET', `/v1/jobs/${second.id}/versions`, fixture.a.manager);
    expect(listed.statusCode, listed.body).toBe(200);
    const body = listed.json<{ documentId: string; versions: Record<string, unknown>[] }>();
    expect(body.documentId).toBe('reset-guide');
    expect(body.versions).toMatchObject([
      {
        version: 1,
        jobId: first.id,
        title: 'A short guide to setting up backups',
        provider: 'extractive',
      },
      { version: 2, jobId: second.id, userId: fixture.a.user.user.id },
    ]);
    // Jobs writing to one document see the same list.
    expect((await api('GET', `/v1/jobs/${first.id}/versions`, fixture.a.user)).json()).toEqual(
      body,
    );

    const read = await api('GET', `/v1/jobs/${first.id}/versions/1`, fixture.a.user);
    expect(read.statusCode, read.body).toBe(200);
    const version = read.json<{ text: string; version: number; citations: { index: number }[] }>();
    expect(version.version).toBe(1);
    expect(version.text).toMatch(/^# A short guide to setting up backups\n\n## /);
    expect(version.citations.map((citation) => citation.index)).toContain(1);

    const missing = await api('GET', `/v1/jobs/${first.id}/versions/9`, fixture.a.user);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('version_not_found');
    expect((await api('GET', `/v1/jobs/${first.id}/versions/0`, fixture.a.user)).statusCode).toBe(
      400,
    );
  });

  it('shows a document to its workspace and admins only, and only for generate jobs', async () => {
    const job = await generate('private-guide');
    for (const url of [`/v1/jobs/${job.id}/versions`, `/v1/jobs/${job.id}/versions/1`]) {
      const outsider = await api('GET', url, fixture.b.manager);
      expect(outsider.statusCode, url).toBe(404);
      expect(outsider.json().error.code).toBe('job_not_found');
      expect((await api('GET', url, fixture.admin)).statusCode, url).toBe(200);
    }

    const ingest = await api('GET', `/v1/jobs?queue=ingest`, fixture.a.manager);
    const ingestId = ingest.json<{ jobs: JobRecord[] }>().jobs[0]!.id;
    const none = await api('GET', `/v1/jobs/${ingestId}/versions`, fixture.a.manager);
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('job_has_no_versions');
  });
});
