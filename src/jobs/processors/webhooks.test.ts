import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobQueue } from '../sqlite/queue.js';
import type { JobContext } from '../queue.js';
import { createWebhookProcessor } from './webhooks.js';
import { OutboundGuard } from '../../net/outbound-guard.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'whsec_test_0123456789abcdef';
const NOW = 1_700_000_000_000;

/** A receiver that answers each request with the next status of `statuses` (then 200). */
let server: Server;
let url: string;
let received: Received[];
let statuses: number[];
let hang: boolean;

beforeEach(async () => {
  received = [];
  statuses = [];
  hang = false;
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      if (hang) return;
      response.writeHead(statuses.shift() ?? 200).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/keel`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const secretFor = (ref: string | undefined) =>
  ref === undefined || ref === 'main' ? SECRET : undefined;
// The receiver runs on loopback: the operator's allow-list lets this one address through.
const deliver = createWebhookProcessor({
  secretFor,
  outbound: new OutboundGuard({ allow: ['127.0.0.1/32'] }),
  timeoutMs: 300,
  now: () => NOW,
});

function context(payload: Partial<JobContext<'webhooks'>['payload']> = {}): JobContext<'webhooks'> {
  return {
    id: 'delivery-1',
    queue: 'webhooks',
    payload: { url, event: 'job.completed', payload: { jobId: 'job-9', ok: true }, ...payload },
    attempt: 1,
    signal: new AbortController().signal,
    report: async () => undefined,
  };
}

/** The receiver's side of the signature, written from the documented format. */
function verify(header: string, body: string, secret: string): boolean {
  const fields = Object.fromEntries(
    header.split(',').map((part) => part.split('=') as [string, string]),
  );
  const expected = createHmac('sha256', secret).update(`${fields.t}.${body}`).digest();
  const given = Buffer.from(fields.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook delivery', () => {
  it('refuses a private receiver without an allow-list entry, and connects to the address it checked', async () => {
    const port = new URL(url).port;
    // hooks.test resolves to loopback here, as a rebinding DNS name would at delivery time.
    const resolve = async (host: string) => (host === 'hooks.test' ? ['127.0.0.1'] : []);
    const guarded = createWebhookProcessor({ secretFor, outbound: new OutboundGuard({ resolve }) });
    for (const target of [url, `http://hooks.test:${port}/hooks/keel`, `http://0x7f.1:${port}/`]) {
      await expect(guarded(context({ url: target }))).rejects.toMatchObject({
        code: 'outbound_address_refused',
        status: 400,
        retryable: false,
      });
    }
    expect(received).toHaveLength(0);
    // Allowed by name, the delivery goes to the resolved address (hooks.test is in no DNS).
    const allowed = createWebhookProcessor({
      secretFor,
      outbound: new OutboundGuard({ resolve, allow: ['hooks.test'] }),
    });
    await allowed(context({ url: `http://hooks.test:${port}/hooks/keel` }));
    expect(received[0]?.headers.host).toBe(`hooks.test:${port}`);
  });

  it('POSTs the event as JSON with a signature the receiver can verify', async () => {
    expect(await deliver(context())).toMatchObject({ status: 200 });

    const [request] = received;
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-keel-event': 'job.completed',
      'x-keel-delivery': 'delivery-1',
    });
    expect(JSON.parse(request!.body)).toEqual({
      id: 'delivery-1',
      event: 'job.completed',
      payload: { jobId: 'job-9', ok: true },
    });
    const signature = String(request!.headers['x-keel-signature']);
    expect(signature).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verify(signature, request!.body, SECRET)).toBe(true);
    expect(verify(signature, request!.body, 'another secret')).toBe(false);
    expect(verify(signature, request!.body.replace('true', 'false'), SECRET)).toBe(false);
  });

  it.each([500, 502, 503, 408, 429])('treats %i as a failure worth retrying', async (status) => {
    statuses = [status];
    await expect(deliver(context())).rejects.toMatchObject({
      code: 'webhook_failed',
      retryable: true,
      details: { status },
    });
  });

  it.each([400, 401, 404, 410, 301])(
    'treats %i as a refusal not worth retrying',
    async (status) => {
      statuses = [status];
      await expect(deliver(context())).rejects.toMatchObject({
        code: 'webhook_rejected',
        retryable: false,
      });
    },
  );

  it('gives up on a receiver that does not answer in time, to retry later', async () => {
    hang = true;
    await expect(deliver(context())).rejects.toMatchObject({
      code: 'webhook_timeout',
      retryable: true,
    });
  });

  it('retries a receiver it cannot reach, and never names the URL in the error', async () => {
    const closed = `http://127.0.0.1:1/hook?token=secret-token`;
    const failure = deliver(context({ url: closed }));
    await expect(failure).rejects.toMatchObject({ code: 'webhook_unreachable', retryable: true });
    await expect(failure).rejects.not.toThrow(/secret-token/);
  });

  it('refuses at once when no signing secret is configured for the reference', async () => {
    await expect(deliver(context({ secretRef: 'unknown' }))).rejects.toMatchObject({
      code: 'webhook_secret_missing',
      retryable: false,
    });
    expect(received).toEqual([]);
  });
});

describe('webhook delivery through the queue', () => {
  let folder: string;
  let queue: SqliteJobQueue;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'keel-webhooks-'));
    queue = SqliteJobQueue.open({
      file: join(folder, 'jobs.db'),
      accepts: ['webhooks'],
      pollMs: 20,
    });
    queue.work(['webhooks'], { webhooks: deliver });
  });
  afterEach(async () => {
    await queue.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const enqueue = () =>
    queue.enqueue(
      'webhooks',
      { url, event: 'job.completed', payload: { n: 1 } },
      { attempts: 4, backoffMs: 20 },
    );

  it('redelivers after a 503 with the same delivery id, then completes', async () => {
    statuses = [503, 503];
    const job = await enqueue();
    const events = [];
    for await (const event of queue.events(job.id)) events.push(event.type);

    expect(events).toEqual(['job-failed', 'job-failed', 'job-completed']);
    expect(received.map((request) => request.headers['x-keel-delivery'])).toEqual([
      job.id,
      job.id,
      job.id,
    ]);
    expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 3 });
  });

  it('makes a delivery the receiver refuses dead after one attempt', async () => {
    statuses = [404];
    const job = await enqueue();
    const events = [];
    for await (const event of queue.events(job.id)) events.push(event);

    expect(events).toMatchObject([
      { type: 'job-dead', error: expect.stringMatching(/^webhook_rejected/) },
    ]);
    expect(received).toHaveLength(1);
    expect(await queue.get(job.id)).toMatchObject({ state: 'dead', attempts: 1 });
  });
});
