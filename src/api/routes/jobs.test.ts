import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, createAuthFixture } from '../../../test/helpers/auth-fixtures.js';
import { createTestKeel } from '../../../test/helpers/test-keel.js';
import { addSource } from '../../kb/sources.js';
import type { JobRecord } from '../../jobs/queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Server-Sent Events as `{ event, data }`, heartbeat comments left out. */
function parseSse(body: string): { event: string; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine = '', dataLine = ''] = block.split('\n');
      return {
        event: eventLine.slice('event: '.length),
        data: JSON.parse(dataLine.slice('data: '.length)) as Record<string, unknown>,
      };
    });
}

describe('job routes, through a real worker on the SQLite queue', () => {
  let fixture: AuthFixture;
  let sourceId: string;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: { status: number; signature: string | undefined }[] = [];
  let receiverStatus = 400;

  const api = (
    method: 'GET' | 'POST',
    url: string,
    as: { headers: Record<string, string> },
    payload?: object,
  ) => fixture.app.inject({ method, url, headers: as.headers, ...(payload && { payload }) });

  /** Reads the job as `as` until `accept` holds. */
  async function until(id: string, as: { headers: Record<string, string> }, state: string) {
    for (let tries = 0; tries < 200; tries += 1) {
      const job = (await api('GET', `/v1/jobs/${id}`, as)).json<JobRecord>();
      if (job.state === state) return job;
      await sleep(25);
    }
    throw new Error(`job ${id} never became ${state}`);
  }

  beforeAll(async () => {
    fixture = await createAuthFixture(
      // The test receivers listen on loopback, which the operator allows here.
      {
        KEEL_WEBHOOK_SECRET: 'whsec-8f3Kq2Lm9Xv4Tz7Rb1Nc6Hy0Wd5Pg',
        KEEL_OUTBOUND_ALLOW: '127.0.0.1',
      },
      { bundled: false },
    );
    const folder = mkdtempSync(join(tmpdir(), 'keel-jobs-source-'));
    for (const name of ['one', 'two', 'three']) {
      writeFileSync(join(folder, `${name}.md`), `# ${name}\n\nThe ${name} page.\n`);
    }
    const { store } = fixture.harness.keel;
    sourceId = (
      await addSource(store, { name: 'alpha', kind: 'folder', location: folder }, fixture.a.id)
    ).id;
    receiver = createServer((request, response) => {
      deliveries.push({
        status: receiverStatus,
        signature: request.headers['x-keel-signature'] as string | undefined,
      });
      response.writeHead(receiverStatus).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await fixture.close();
    receiver.close();
  });

  it('runs an ingest job for the caller’s workspace and shows it to that workspace only', async () => {
    const { manager, user } = fixture.a;
    const created = await api('POST', '/v1/jobs', manager, {
      queue: 'ingest',
      payload: { sourceId },
    });
    expect(created.statusCode, created.body).toBe(202);
    const job = created.json<JobRecord>();
    expect(created.headers.location).toBe(`/v1/jobs/${job.id}`);
    expect(job.payload).toEqual({
      sourceId,
      workspaceId: fixture.a.id,
      requestedBy: manager.user.id,
    });

    const done = await until(job.id, user, 'completed');
    expect(done.result).toMatchObject({ status: 'ok', added: 3, errors: 0 });

    const listed = await api('GET', '/v1/jobs?queue=ingest&state=completed', user);
    expect(listed.json().jobs.map((each: JobRecord) => each.id)).toContain(job.id);
    expect((await api('GET', '/v1/jobs', fixture.b.user)).json().jobs).toEqual([]);
    expect((await api('GET', '/v1/jobs', fixture.admin)).json().jobs.length).toBeGreaterThan(0);
    for (const [method, url] of [
      ['GET', `/v1/jobs/${job.id}`],
      ['GET', `/v1/jobs/${job.id}/events`],
      ['POST', `/v1/jobs/${job.id}/retry`],
      ['POST', `/v1/jobs/${job.id}/cancel`],
    ] as const) {
      const response = await api(method, url, fixture.b.manager);
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe('job_not_found');
    }
  });

  it('streams the job’s state, its progress and its last event over SSE', async () => {
    const created = await api('POST', '/v1/kb/sources/' + sourceId + '/sync', fixture.a.manager);
    expect(created.statusCode, created.body).toBe(202);
    const { job, links } = created.json<{
      job: { id: string; state: string };
      links: { events: string };
    }>();
    expect(job.state).toBe('queued');
    expect(created.headers.location).toBe(`/v1/jobs/${job.id}`);

    const stream = await api('GET', links.events, fixture.a.user);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    const events = parseSse(stream.body);
    expect(events[0]).toMatchObject({ event: 'job-state', data: { id: job.id, queue: 'ingest' } });
    expect(events.at(-1)).toMatchObject({ event: 'job-completed', data: { jobId: job.id } });
    if (events[0]!.data.state !== 'completed') {
      expect(events.some((each) => each.event === 'job-progress')).toBe(true);
    }
  });

  it('streams progress events of a job that starts after the client connects', async () => {
    const created = await api('POST', '/v1/jobs', fixture.a.manager, {
      queue: 'ingest',
      payload: { sourceId },
      delayMs: 300,
    });
    const id = created.json<JobRecord>().id;
    const events = parseSse((await api('GET', `/v1/jobs/${id}/events`, fixture.a.user)).body);
    expect(events.map((each) => each.event)).toEqual([
      'job-state',
      ...events.slice(1, -1).map(() => 'job-progress'),
      'job-completed',
    ]);
    expect(events[0]!.data.state).toBe('queued');
    expect(events[1]).toMatchObject({ event: 'job-progress', data: { progress: 0 } });
  });

  it('cancels a waiting job, retries it, and refuses to cancel it once finished', async () => {
    const created = await api('POST', '/v1/jobs', fixture.a.manager, {
      queue: 'ingest',
      payload: { sourceId },
      delayMs: 60_000,
    });
    const id = created.json<JobRecord>().id;
    expect((await api('POST', `/v1/jobs/${id}/cancel`, fixture.a.user)).statusCode).toBe(403);
    const cancelled = await api('POST', `/v1/jobs/${id}/cancel`, fixture.a.manager);
    expect(cancelled.json()).toMatchObject({ id, state: 'cancelled' });
    expect((await api('POST', `/v1/jobs/${id}/cancel`, fixture.a.manager)).statusCode).toBe(200);
    // Retried, it runs at once (its delay is over), and a finished job cannot be cancelled.
    expect((await api('POST', `/v1/jobs/${id}/retry`, fixture.a.manager)).statusCode).toBe(202);
    await until(id, fixture.a.manager, 'completed');
    const refused = await api('POST', `/v1/jobs/${id}/cancel`, fixture.a.manager);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('job_finished');
  });

  it('dead-letters a webhook the receiver rejects, and runs it again on retry', async () => {
    const webhook = {
      queue: 'webhooks',
      payload: { url: receiverUrl, event: 'report.ready', payload: { n: 1 } },
    };
    expect((await api('POST', '/v1/jobs', fixture.a.manager, webhook)).statusCode).toBe(403);
    receiverStatus = 400;
    const created = await api('POST', '/v1/jobs', fixture.admin, webhook);
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json<JobRecord>().id;
    const dead = await until(id, fixture.admin, 'dead');
    expect(dead.error).toMatch(/^webhook_rejected: .* answered 400/);
    expect((await api('GET', '/v1/jobs?state=dead', fixture.admin)).json().jobs[0].id).toBe(id);
    // Nobody but admins sees a delivery: it belongs to no workspace.
    expect((await api('GET', `/v1/jobs/${id}`, fixture.a.manager)).statusCode).toBe(404);

    receiverStatus = 204;
    const retried = await api('POST', `/v1/jobs/${id}/retry`, fixture.admin);
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ id, state: 'queued', attempts: 0 });
    expect((await until(id, fixture.admin, 'completed')).result).toMatchObject({ status: 204 });
    expect(deliveries.map((each) => each.status)).toEqual([400, 204]);
    expect(deliveries[1]!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const again = await api('POST', `/v1/jobs/${id}/retry`, fixture.admin);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('job_not_retryable');
  });

  it('enqueues once per id, and never hands one workspace another’s job', async () => {
    const body = { queue: 'ingest', payload: { sourceId }, id: 'nightly-alpha', delayMs: 60_000 };
    const first = (await api('POST', '/v1/jobs', fixture.a.manager, body)).json<JobRecord>();
    const second = (await api('POST', '/v1/jobs', fixture.a.manager, body)).json<JobRecord>();
    expect(second.id).toBe(first.id);
    expect(second.createdAt).toBe(first.createdAt);
    const bravoSource = await addSource(
      fixture.harness.keel.store,
      { name: 'bravo', kind: 'folder', location: tmpdir() },
      fixture.b.id,
    );
    const taken = await api('POST', '/v1/jobs', fixture.b.manager, {
      ...body,
      payload: { sourceId: bravoSource.id },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({
      code: 'job_id_conflict',
      details: { jobId: 'nightly-alpha' },
    });
    await api('POST', `/v1/jobs/${first.id}/cancel`, fixture.a.manager);
  });

  it.each([
    [{ queue: 'nope', payload: {} }, 400, 'unknown_queue'],
    [{ queue: 'ingest', payload: { sourceId: '' } }, 400, 'invalid_payload'],
    [{ queue: 'ingest', payload: {}, id: '12345' }, 400, 'invalid_request'],
    [{ queue: 'ingest', payload: {}, delayMs: -1 }, 400, 'invalid_request'],
    [{ queue: 'ingest', payload: { sourceId: 'src_missing' } }, 404, 'source_not_found'],
    [
      { queue: 'ingest', payload: { sourceId: 'x', workspaceId: 'default' } },
      403,
      'workspace_mismatch',
    ],
  ])('answers POST /v1/jobs %j with %i %s', async (body, status, code) => {
    const response = await api('POST', '/v1/jobs', fixture.a.manager, body);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json().error.code).toBe(code);
  });

  it('names the bad payload fields, and refuses bad filters', async () => {
    const response = await api('POST', '/v1/jobs', fixture.a.manager, {
      queue: 'ingest',
      payload: { sourceId: 7 },
    });
    expect(response.json().error.details.issues).toEqual([
      expect.objectContaining({ path: 'sourceId' }),
    ]);
    expect((await api('GET', '/v1/jobs?state=lost', fixture.a.user)).statusCode).toBe(400);
    expect((await api('GET', '/v1/jobs?limit=501', fixture.a.user)).statusCode).toBe(400);
  });
});

describe('job event streams over a real connection', () => {
  it('sends the state at once, and ends open streams when the server shuts down', async () => {
    const harness = await createTestKeel(
      { KEEL_OUTBOUND_ALLOW: '127.0.0.1' },
      { bundled: false, worker: false },
    );
    try {
      const enqueued = await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: {
          queue: 'webhooks',
          payload: { url: 'http://127.0.0.1:9/x', event: 'e', payload: {} },
        },
      });
      const address = await harness.app.listen({ port: 0, host: '127.0.0.1' });
      const response = await fetch(`${address}/v1/jobs/${enqueued.json().id}/events`);
      const reader = response.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/^event: job-state\ndata: \{.*"state":"queued"/);
      // The job never runs (no worker): only the shutdown can end this stream.
      const ended = reader.read();
      await harness.app.close();
      expect((await ended).done).toBe(true);
    } finally {
      await harness.close();
    }
  });
});

describe('readiness includes the job queue', () => {
  it('answers 503 when the queue cannot answer', async () => {
    const harness = await createTestKeel({}, { bundled: false, worker: false });
    try {
      const ready = await harness.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json().checks.jobs).toBe('ok');
      await harness.keel.jobs.close();
      const down = await harness.app.inject({ method: 'GET', url: '/health/ready' });
      expect(down.statusCode).toBe(503);
      expect(down.json().checks.jobs).toMatch(/^failed: /);
    } finally {
      await harness.close();
    }
  });
});
