import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isEntryPoint } from './harness.js';
import { repoRoot } from './scifact.js';

/**
 * A stand-in for a model API: OpenAI's non-streaming `POST /v1/chat/completions`, answering
 * after a fixed delay with the response shape the real API returns (mirrors
 * `test/fixtures/providers/openai-server.ts`, which has no fixed-latency mode). The delay is a
 * timer, not busy work, so the upstream costs the shared CPU almost nothing and every
 * millisecond above `latencyMs` is the caller's.
 */
export interface Upstream {
  /** Base URL including `/v1`, as `OPENAI_BASE_URL` expects. */
  url: string;
  /** Chat completions answered so far. */
  answered(): number;
  close(): Promise<void>;
}

/** Cites passage 1, so Keel's output check has a citation to verify as it would in production. */
export const UPSTREAM_ANSWER =
  'Policies are versioned by content hash and one command rolls back to the previous version [1].';

function completion(model: string) {
  return {
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: UPSTREAM_ANSWER, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 120, completion_tokens: 18, total_tokens: 138 },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Starts the upstream on 127.0.0.1 (a free port) answering after `latencyMs`. */
export async function startUpstream(latencyMs: number): Promise<Upstream> {
  let answered = 0;
  const server = createServer((request, response) => {
    void readBody(request).then((text) => {
      // Keel's readiness probe lists models, the cheapest authenticated read of the API.
      if (request.method === 'GET' && request.url === '/v1/models') {
        send(response, 200, {
          object: 'list',
          data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'bench' }],
        });
        return;
      }
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        send(response, 404, { error: { message: `Unknown path ${request.url}` } });
        return;
      }
      let model = 'gpt-4o-mini';
      try {
        model = String((JSON.parse(text) as { model?: unknown }).model ?? model);
      } catch {
        send(response, 400, { error: { message: 'body is not JSON' } });
        return;
      }
      setTimeout(() => {
        answered += 1;
        send(response, 200, completion(model));
      }, latencyMs);
    });
  });
  // Clients keep connections open between requests, as a gateway's pool would.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    answered: () => answered,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The same upstream in a child process, for profiles of a gateway in this process: its HTTP
 * parsing and socket writes would otherwise be counted as the gateway's CPU. `answered()` is
 * not known across the process boundary and reads 0.
 */
export async function startUpstreamProcess(latencyMs: number): Promise<Upstream> {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin', 'run-ts.js'), join(repoRoot, 'bench', 'gateway-upstream.ts')],
    { cwd: repoRoot, env: { ...process.env, UPSTREAM_LATENCY_MS: String(latencyMs) } },
  );
  child.stderr.pipe(process.stderr);
  const [url] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return {
    url,
    answered: () => 0,
    close: async () => {
      child.kill();
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

if (isEntryPoint(import.meta.url)) {
  const upstream = await startUpstream(Number(process.env.UPSTREAM_LATENCY_MS ?? '25'));
  process.stdout.write(`${upstream.url}\n`);
}
