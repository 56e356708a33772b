import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeServer {
  /** The port it listens on (the OS's pick when asked for port 0). */
  port: number;
  /** From now on `/health/ready` answers 503, so no new work is routed here while draining. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * The small HTTP server of a process that has no API of its own (`keel worker`): `/health/live`,
 * `/health/ready` (each dependency) and `/metrics` (Prometheus), nothing else. It carries no
 * user data, so it needs no sign-in; keep its port on the cluster's internal network.
 *
 * @example
 *   const probes = await startProbeServer({
 *     host: '0.0.0.0', port: 8082, registry: keel.metrics.registry,
 *     readiness: () => readinessChecks(keel),
 *   });
 */
export async function startProbeServer(options: {
  host: string;
  port: number;
  registry: Registry;
  /** Each dependency's state, `ok` or `failed: <reason>`; ready when all are `ok`. */
  readiness: () => Promise<Record<string, string>>;
}): Promise<ProbeServer> {
  let draining = false;
  const server: Server = createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(405, {
        error: { code: 'method_not_allowed', message: 'Only GET is served here', details: {} },
      });
    }
    if (path === '/health/live') return send(200, { status: 'ok' });
    if (path === '/health/ready') {
      if (draining) return send(503, { status: 'unavailable', checks: { process: 'draining' } });
      return void options.readiness().then(
        (checks) => {
          const ok = Object.values(checks).every((value) => value === 'ok');
          send(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks });
        },
        (error: Error) =>
          send(503, { status: 'unavailable', checks: { process: `failed: ${error.message}` } }),
      );
    }
    if (path === '/metrics') {
      return void options.registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': options.registry.contentType });
        response.end(text);
      });
    }
    send(404, { error: { code: 'not_found', message: `No route ${path}`, details: {} } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    drain: () => {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
