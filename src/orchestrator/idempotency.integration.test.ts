import { type Server, type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeOpenAiServer,
  OPENAI_ANSWER,
  OPENAI_USAGE,
  startOpenAiServer,
} from '../../test/fixtures/providers/openai-server.js';
import {
  type PrivateService,
  privateServicesAvailable,
  startPrivateRedis,
} from '../../test/helpers/private-services.js';
import { skipUnlessCi } from '../../test/helpers/skip-unless-ci.js';
import { INTERNAL_SECRET, startServerMode } from '../../test/helpers/server-mode.js';
import { SIGNATURE_HEADER, signRequest } from './signing.js';

/**
 * A TCP proxy to the orchestrator that loses the first call's answer the way a flaky network or
 * a restarted load balancer does: it delivers the request, then drops both connections before
 * the response can come back. Later connections pass through untouched.
 */
async function startLossyProxy(target: { host: string; port: number }) {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections += 1;
    const dropThisOne = connections === 1;
    const upstream = connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream);
    if (!dropThisOne) {
      upstream.pipe(client);
      return;
    }
    // Delivered: the orchestrator has the whole request once its bytes have gone through.
    client.on('data', () =>
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
      }, 100),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(skipUnlessCi(privateServicesAvailable, 'redis-server'))(
  'a retried api → orchestrator call runs once (idempotency key, Redis)',
  () => {
    let redis: PrivateService;
    let upstream: FakeOpenAiServer;
    let proxy: Awaited<ReturnType<typeof startLossyProxy>>;
    let servers: Awaited<ReturnType<typeof startServerMode>>;

    beforeAll(async () => {
      [redis, upstream] = await Promise.all([startPrivateRedis(), startOpenAiServer()]);
      // The model takes a while: the retry arrives while the first call is still running.
      upstream.faults.delayMs = 800;
      servers = await startServerMode({
        upstream,
        orchestratorEnv: { REDIS_URL: redis.url },
        via: async (port) => {
          proxy = await startLossyProxy({ host: '127.0.0.1', port });
          return proxy.url;
        },
      });
    }, 60_000);
    afterAll(async () => {
      await servers?.close();
      await proxy?.close();
      await Promise.all([upstream?.close(), redis?.destroy()]);
    });

    it('answers the retry with the first call’s answer: one model call, usage recorded once', async () => {
      const response = await servers.api.app.inject({
        method: 'POST',
        url: '/v1/chat',
        payload: { message: 'How do I roll back a policy?' },
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().answer).toBe(OPENAI_ANSWER);
      // The first connection was dropped after delivery, so the client tried again.
      expect(proxy.connections()).toBe(2);
      const modelCalls = upstream.requests.filter((request) =>
        request.url.endsWith('/chat/completions'),
      );
      expect(modelCalls).toHaveLength(1);

      const usage = (await servers.api.app.inject({ method: 'GET', url: '/v1/usage' })).json()
        .today;
      expect(usage).toMatchObject({
        calls: 1,
        inputTokens: OPENAI_USAGE.prompt_tokens,
        outputTokens: OPENAI_USAGE.completion_tokens,
      });
      const metrics = await servers.orchestratorKeel.keel.metrics.registry.metrics();
      expect(metrics).toMatch(
        new RegExp(
          `^keel_provider_tokens_total\\{[^}]*direction="input"[^}]*\\} ${OPENAI_USAGE.prompt_tokens}$`,
          'm',
        ),
      );
    }, 30_000);

    it('replays a finished call to a streamed retry as one delta and done, without the model', async () => {
      const signed = (payload: Record<string, unknown>) => {
        const body = JSON.stringify({
          request: { message: 'Which command rolls back a policy version?' },
          traceId: 'replay-test',
          workspaceId: 'default',
          idempotencyKey: 'a5f0c2e4-7b1d-4e8a-9c3f-6d2b1a0e9f87',
          ...payload,
        });
        const path = '/internal/v1/answer';
        return servers.orchestrator.inject({
          method: 'POST',
          url: path,
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signRequest(INTERNAL_SECRET, { method: 'POST', path, body }),
          },
          payload: body,
        });
      };
      const before = upstream.requests.length;
      const first = await signed({ stream: false });
      expect(first.statusCode, first.body).toBe(200);
      const replayed = await signed({ stream: true });
      const events = replayed.body
        .split('\n\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as { type: string; text?: string });
      expect(events).toEqual([
        { type: 'delta', text: first.json().answer },
        { type: 'done', answer: first.json() },
      ]);
      expect(upstream.requests.length - before).toBe(1);
    }, 30_000);
  },
);
