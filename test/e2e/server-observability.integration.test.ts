import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAiServer, startOpenAiServer } from '../fixtures/providers/openai-server.js';
import {
  type KeelProcess,
  freePort,
  runKeel,
  startKeel,
  waitForHttp,
} from '../helpers/keel-process.js';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres-database.js';
import {
  type PrivateService,
  privateServicesAvailable,
  startPrivateRedis,
} from '../helpers/private-services.js';
import { skipUnlessCi } from '../helpers/skip-unless-ci.js';

/*
 * Server mode as separate OS processes — `keel api`, `keel orchestrator`, `keel worker` — over a
 * PostgreSQL database of this test's own, a private Redis (BullMQ) and a local server speaking
 * OpenAI's protocol. What an operator scrapes from each process after real calls.
 */

const QUESTION = 'How do I roll back a policy?';

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };

/**
 * An OTLP/HTTP trace receiver (JSON encoding, `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) as a
 * collector would run it: POST /v1/traces, spans kept with their service name.
 */
async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push(body);
      const data = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: OtlpValue }[] };
          scopeSpans: {
            spans: {
              name: string;
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              attributes?: { key: string; value: OtlpValue }[];
            }[];
          }[];
        }[];
      };
      for (const resource of data.resourceSpans) {
        const service = resource.resource.attributes.find((item) => item.key === 'service.name')
          ?.value.stringValue;
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              service: service ?? '',
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              attributes: Object.fromEntries(
                (span.attributes ?? []).map((item) => [
                  item.key,
                  item.value.stringValue ??
                    (item.value.intValue === undefined ? undefined : Number(item.value.intValue)) ??
                    item.value.boolValue,
                ]),
              ),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `name{labels} value` lines of one metric family, as Prometheus reads them. */
function samples(text: string, family: string): { labels: string; value: number }[] {
  const pattern = new RegExp(`^${family}(\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm');
  return [...text.matchAll(pattern)].map((match) => ({
    labels: match[1] ?? '',
    value: Number(match[2]),
  }));
}

const valueOf = (text: string, family: string, ...labels: string[]) =>
  samples(text, family)
    .filter((sample) => labels.every((label) => sample.labels.includes(label)))
    .reduce((sum, sample) => sum + sample.value, 0);

describe.skipIf(skipUnlessCi(privateServicesAvailable, 'redis-server'))(
  'server mode observability (api, orchestrator, worker as processes)',
  () => {
    let database: TestDatabase;
    let redis: PrivateService;
    let upstream: FakeOpenAiServer;
    let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
    let workDir: string;
    let env: Record<string, string>;
    const processes: KeelProcess[] = [];
    const urls = { api: '', orchestrator: '', worker: '' };

    const logs = () =>
      processes
        .map((process) => `── ${process.name}\n${process.output().slice(-3_000)}`)
        .join('\n');

    beforeAll(async () => {
      [database, redis, upstream, receiver] = await Promise.all([
        createTestDatabase(),
        startPrivateRedis(),
        startOpenAiServer(),
        startOtlpReceiver(),
      ]);
      workDir = await mkdtemp(join(tmpdir(), 'keel-observability-'));
      const [apiPort, orchestratorPort, workerPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      urls.api = `http://127.0.0.1:${apiPort}`;
      urls.orchestrator = `http://127.0.0.1:${orchestratorPort}`;
      urls.worker = `http://127.0.0.1:${workerPort}`;
      env = {
        KEEL_DATA_DIR: join(workDir, 'data'),
        KEEL_PROFILE: 'development',
        KEEL_AUTH: 'off',
        KEEL_LOG_LEVEL: 'warn',
        KEEL_SECRET: randomBytes(32).toString('hex'),
        KEEL_INTERNAL_SECRET: randomBytes(32).toString('hex'),
        KEEL_LLM: 'openai',
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: `${upstream.url}/v1`,
        OPENAI_MODEL: 'gpt-4o-mini',
        KEEL_EMBEDDINGS: 'none',
        // Three governed calls a day for the workspace (a generate job, two chats): the fourth
        // is a quota refusal.
        KEEL_QUOTAS: JSON.stringify({ workspace: { day: { calls: 3 } } }),
        KEEL_ORCHESTRATOR_PORT: String(orchestratorPort),
        KEEL_ORCHESTRATOR_URL: urls.orchestrator,
        KEEL_WORKER_PORT: String(workerPort),
        PORT: String(apiPort),
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        // Traces through the standard variables only, to the receiver above.
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      };
      await runKeel(['migrate'], env);
      const start = (name: string, args: string[]) => {
        const started = startKeel(name, args, env);
        processes.push(started);
        return started;
      };
      const orchestrator = start('orchestrator', ['orchestrator']);
      await waitForHttp(`${urls.orchestrator}/health/ready`, {
        process: orchestrator,
        timeoutMs: 120_000,
      });
      const api = start('api', ['api']);
      const worker = start('worker', ['worker', '--queues', 'generate']);
      await waitForHttp(`${urls.api}/health/ready`, { process: api, timeoutMs: 120_000 });
      await waitForHttp(`${urls.worker}/health/live`, { process: worker, timeoutMs: 120_000 });
    }, 300_000);

    afterAll(async () => {
      await Promise.all(processes.map((process) => process.stop('SIGKILL')));
      await Promise.all([database?.drop(), redis?.destroy(), upstream?.close(), receiver?.close()]);
      if (workDir) await rm(workDir, { recursive: true, force: true });
    }, 60_000);

    const post = (path: string, body: unknown) =>
      fetch(`${urls.api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();

    it('exposes provider, cache, quota, queue and job metrics on each process after real calls', async () => {
      // A generate job is a governed call too: it runs first, within the quota.
      const enqueued = await post('/v1/jobs', {
        queue: 'generate',
        payload: { prompt: 'Write a short guide to rolling back a policy.' },
      });
      expect(enqueued.status, logs()).toBe(202);
      const { id } = (await enqueued.json()) as { id: string };
      const deadline = Date.now() + 90_000;
      for (;;) {
        const job = (await (await fetch(`${urls.api}/v1/jobs/${id}`)).json()) as { state: string };
        if (job.state === 'completed') break;
        if (Date.now() > deadline) throw new Error(`job ${JSON.stringify(job)}\n${logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect((await post('/v1/chat', { message: QUESTION })).status, logs()).toBe(200);
      // The same question again: the orchestrator's answer cache serves it.
      expect((await post('/v1/chat', { message: QUESTION })).status, logs()).toBe(200);
      const refused = await post('/v1/chat', { message: QUESTION });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        'quota_exceeded',
      );

      const api = await metrics(urls.api);
      expect(valueOf(api, 'keel_http_requests_total', 'route="/v1/chat"', 'status="200"')).toBe(2);
      expect(valueOf(api, 'keel_governor_decisions_total', 'status="allowed"')).toBe(2);
      expect(
        valueOf(
          api,
          'keel_quota_refusals_total',
          'scope="workspace"',
          'period="day"',
          'metric="calls"',
        ),
      ).toBe(1);
      expect(valueOf(api, 'keel_jobs_enqueued_total', 'queue="generate"')).toBe(1);
      expect(samples(api, 'keel_queue_jobs').length).toBeGreaterThan(0);

      // The orchestrator calls the model: latency, tokens and cost by provider and model.
      const orchestrator = await metrics(urls.orchestrator);
      const model = ['provider="openai"', 'model="gpt-4o-mini"'];
      expect(
        valueOf(
          orchestrator,
          'keel_provider_request_duration_seconds_count',
          ...model,
          'outcome="ok"',
        ),
      ).toBe(2);
      expect(
        valueOf(orchestrator, 'keel_provider_tokens_total', ...model, 'direction="input"'),
      ).toBe(2 * 112);
      expect(
        valueOf(orchestrator, 'keel_provider_tokens_total', ...model, 'direction="output"'),
      ).toBe(2 * 17);
      // 224 input tokens at $0.15 and 34 output tokens at $0.60 per million.
      expect(valueOf(orchestrator, 'keel_provider_cost_usd_total', ...model)).toBeCloseTo(
        (224 * 0.15 + 34 * 0.6) / 1e6,
        12,
      );
      expect(
        valueOf(orchestrator, 'keel_cache_lookups_total', 'cache="answer"', 'result="hit"'),
      ).toBe(1);
      expect(
        valueOf(orchestrator, 'keel_cache_lookups_total', 'cache="answer"', 'result="miss"'),
      ).toBe(2);
      expect(valueOf(orchestrator, 'keel_http_requests_total', 'route="/internal/v1/answer"')).toBe(
        3,
      );

      const worker = await metrics(urls.worker);
      expect(
        valueOf(worker, 'keel_job_attempts_total', 'queue="generate"', 'outcome="completed"'),
      ).toBe(1);
      expect(samples(worker, 'keel_queue_jobs')).toContainEqual({
        labels: '{queue="generate",state="waiting"}',
        value: 0,
      });

      // Bounded labels: no job id, no question text, in any process's metrics.
      for (const text of [api, orchestrator, worker]) {
        expect(text).not.toContain(id);
        expect(text).not.toContain('roll back');
      }
    }, 180_000);

    it('traces a chat from the api into the orchestrator: one trace, request → governor steps → model call', async () => {
      const question = 'Which command rolls back the active policy version?';
      const response = await post('/v1/chat', { message: question }).catch(() => undefined);
      // The quota of the first test may refuse it: the trace is what this test reads.
      expect([200, 429]).toContain(response?.status);
      const requestId = response!.headers.get('x-request-id')!;
      const deadline = Date.now() + 30_000;
      const find = (service: string, name: string) =>
        receiver.spans.find(
          (span) =>
            span.service === service &&
            span.name === name &&
            (name !== 'POST /v1/chat' || span.attributes['keel.request_id'] === requestId),
        );
      // An earlier chat (the first test's) is enough for the orchestrator side.
      while (
        !(find('keel-api', 'POST /v1/chat') && find('keel-orchestrator', 'governor.generation')) &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 200));

      const apiSpan = find('keel-api', 'POST /v1/chat');
      expect(apiSpan, logs()).toBeDefined();
      expect(apiSpan!.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/v1/chat',
      });
      // An answered chat of the first test: its api span is the parent of the orchestrator's.
      const served = receiver.spans.filter(
        (span) => span.service === 'keel-orchestrator' && span.name === 'POST /internal/v1/answer',
      );
      expect(served.length).toBeGreaterThan(0);
      const linked = served.find((span) =>
        receiver.spans.some(
          (parent) =>
            parent.service === 'keel-api' &&
            parent.spanId === span.parentSpanId &&
            parent.traceId === span.traceId &&
            parent.name === 'POST /v1/chat',
        ),
      );
      expect(linked, JSON.stringify(served)).toBeDefined();
      // The orchestrator logs and traces the API's request id, not one of its own.
      const parentRequest = receiver.spans.find((span) => span.spanId === linked!.parentSpanId);
      expect(linked!.attributes['keel.request_id']).toBe(
        parentRequest!.attributes['keel.request_id'],
      );
      const trace = receiver.spans.filter((span) => span.traceId === linked!.traceId);
      const byName = (name: string) => trace.find((span) => span.name === name);
      const answer = byName('governor.answer');
      expect(answer?.parentSpanId).toBe(linked!.spanId);
      for (const step of ['governor.input-size', 'governor.retrieval', 'governor.generation']) {
        expect(byName(step)?.parentSpanId, step).toBe(answer!.spanId);
      }
      expect(byName('kb.search')?.parentSpanId).toBe(byName('governor.retrieval')!.spanId);
      const model = byName('chat gpt-4o-mini');
      expect(model?.parentSpanId).toBe(byName('governor.generation')!.spanId);
      expect(model!.attributes).toMatchObject({
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 112,
        'gen_ai.usage.output_tokens': 17,
      });
      // No message text leaves in any span.
      for (const body of receiver.bodies) {
        expect(body).not.toContain('roll back');
        expect(body).not.toContain('rolls back');
        expect(body).not.toContain('rolling back');
      }
    }, 60_000);

    it('traces a job from the api through the queue into the worker and the orchestrator: one trace', async () => {
      // The first test's generate job: enqueued by the api, run by the worker, answered by the
      // orchestrator.
      const deadline = Date.now() + 30_000;
      const named = (service: string, name: string) =>
        receiver.spans.find((span) => span.service === service && span.name === name);
      while (!named('keel-worker', 'generate process') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      const request = named('keel-api', 'POST /v1/jobs');
      const publish = named('keel-api', 'generate publish');
      const consume = named('keel-worker', 'generate process');
      expect(request, logs()).toBeDefined();
      expect(publish?.parentSpanId).toBe(request!.spanId);
      expect(publish?.traceId).toBe(request!.traceId);
      expect(consume?.parentSpanId).toBe(publish!.spanId);
      expect(consume?.traceId).toBe(request!.traceId);
      expect(consume!.attributes).toMatchObject({
        'messaging.destination.name': 'generate',
        'keel.job.attempt': 1,
      });
      expect(publish!.attributes['messaging.message.id']).toBe(
        consume!.attributes['messaging.message.id'],
      );
      // The worker's call to the orchestrator joins the same trace.
      const trace = receiver.spans.filter((span) => span.traceId === request!.traceId);
      const answered = trace.find(
        (span) => span.service === 'keel-orchestrator' && span.name === 'POST /internal/v1/answer',
      );
      expect(
        answered,
        JSON.stringify(trace.map((span) => [span.service, span.name])),
      ).toBeDefined();
      expect(trace.some((span) => span.name === 'chat gpt-4o-mini')).toBe(true);
    }, 60_000);
  },
);
