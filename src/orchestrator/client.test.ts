import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../test/helpers/test-keel.js';
import { OrchestratorClient } from './client.js';

const SECRET = 'q8V#r2!mZp4L@x7Tn1Ws9Ke3Yb6Hd0Jf';

/** An orchestrator stand-in whose answer stream is written in the given pieces. */
function streamingServer(pieces: string[]): Server {
  return createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of pieces) response.write(piece);
      response.end();
    });
  });
}

describe('OrchestratorClient reading an answer stream', () => {
  let server: Server;
  let client: OrchestratorClient;

  beforeAll(async () => {
    const answer = {
      answer: 'Run keel policy rollback.',
      citations: [],
      usage: { inputTokens: 12, outputTokens: 5 },
      policy: { id: 'default', version: 'v1' },
      decision: { status: 'allowed', reasons: [] },
      agent: 'docs',
      provider: 'extractive',
      model: 'extractive',
      knowledgeVersions: {},
      flags: [],
      traceId: 'trace-1',
      memories: [],
    };
    server = streamingServer([
      ': heartbeat\r\n\r\n',
      'data: {"type":"delta",\r\ndata: "text":"Run keel "}\r\n\r\n',
      'data:{"type":"delta","text":"policy rollback."}\r\n\r\n',
      `data: ${JSON.stringify({ type: 'done', answer })}\r\n\r\n`,
    ]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new OrchestratorClient({
      url: `http://127.0.0.1:${port}`,
      secret: SECRET,
      timeoutMs: 5_000,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads CRLF line ends, multi-line data and data without a space', async () => {
    const deltas: string[] = [];
    const answer = await client.answer(
      { message: 'How do I roll back a policy?' },
      { onDelta: (text) => deltas.push(text) },
    );
    expect(deltas).toEqual(['Run keel ', 'policy rollback.']);
    expect(answer.answer).toBe('Run keel policy rollback.');
  });
});

/** An orchestrator of another version: its replies break the governed-answer contract. */
const REPLIES: Record<string, { type: string; body: string }> = {
  '/internal/v1/answer': {
    type: 'application/json',
    body: JSON.stringify({ answer: 42, citations: [{ index: 1, path: 'a.md' }] }),
  },
  '/internal/v1/check': {
    type: 'application/json',
    body: JSON.stringify({ decision: { status: 'maybe', reasons: [] }, redactedText: 'x' }),
  },
};
const STREAMED = `data: ${JSON.stringify({ type: 'delta', text: 'Hi.' })}\n\ndata: ${JSON.stringify({ type: 'done', answer: { answer: 'Hi.' } })}\n\n`;

describe('a reply that breaks the governed-answer contract', () => {
  let server: Server;
  let url: string;
  let client: OrchestratorClient;
  let notJson = false;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      request.on('end', () => {
        const streamed = (JSON.parse(raw) as { stream?: boolean }).stream === true;
        if (streamed) {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.end(STREAMED);
          return;
        }
        const reply = REPLIES[request.url ?? ''];
        response.writeHead(200, { 'content-type': reply?.type ?? 'application/json' });
        response.end(notJson ? '<html>proxy error</html>' : (reply?.body ?? '{}'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new OrchestratorClient({ url, secret: SECRET, timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('is a 502 orchestrator_reply_invalid naming the wrong fields, not a cast answer', async () => {
    const failure = await client.answer({ message: 'hello' }).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'orchestrator_reply_invalid',
      status: 502,
      message: expect.stringMatching(/answer does not match the contract \(answer: /),
    });
    const paths = (failure as { details: { issues: { path: string }[] } }).details.issues.map(
      (issue) => issue.path,
    );
    expect(paths).toEqual(
      expect.arrayContaining(['answer', 'citations.0.heading', 'usage', 'policy', 'traceId']),
    );
  });

  it('is the same error for a streamed answer and for an input check', async () => {
    const deltas: string[] = [];
    const streamed = await client
      .answer({ message: 'hello' }, { onDelta: (text) => deltas.push(text) })
      .catch((error: unknown) => error);
    expect(deltas).toEqual(['Hi.']);
    expect(streamed).toMatchObject({ code: 'orchestrator_reply_invalid', status: 502 });
    const check = await client.check('hello').catch((error: unknown) => error);
    expect(check).toMatchObject({
      code: 'orchestrator_reply_invalid',
      message: expect.stringMatching(/input check does not match the contract \(decision\.status/),
    });
  });

  it('is the same error for a body that is not JSON', async () => {
    notJson = true;
    const failure = await client.answer({ message: 'hello' }).catch((error: unknown) => error);
    notJson = false;
    expect(failure).toMatchObject({ code: 'orchestrator_reply_invalid', status: 502 });
  });

  it('reaches the API caller as that 502, never a 500', async () => {
    const api = await createTestKeel(
      { KEEL_ORCHESTRATOR_URL: url, KEEL_INTERNAL_SECRET: SECRET },
      { bundled: false, worker: false },
    );
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/chat',
      payload: { message: 'hello' },
    });
    await api.close();
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('orchestrator_reply_invalid');
  });
});
