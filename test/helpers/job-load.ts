import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver on 127.0.0.1 that answers 200 after `delayMs`, so deliveries are in flight
 * long enough to be interrupted. A delivery counts (by `X-Keel-Delivery`, the job id) only if
 * its sender is still connected when the answer goes out: one whose worker died meanwhile is
 * `interrupted`, and must arrive again from another worker to count.
 */
export async function startWebhookReceiver(delayMs: number) {
  const delivered = new Map<string, number>();
  let inFlight = 0;
  let interrupted = 0;
  const server = createServer((request, response) => {
    inFlight += 1;
    let gone = false;
    response.on('close', () => (gone = !response.writableFinished));
    request.resume();
    request.on('end', () => {
      setTimeout(() => {
        inFlight -= 1;
        const id = request.headers['x-keel-delivery'];
        if (gone) {
          interrupted += 1;
          return;
        }
        if (typeof id === 'string') delivered.set(id, (delivered.get(id) ?? 0) + 1);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    /** Job id → completed deliveries (more than 1: an at-least-once duplicate). */
    delivered,
    inFlight: () => inFlight,
    interrupted: () => interrupted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CallRecord {
  phase: string;
  replica: number;
  /** HTTP status, or 0 when the request did not finish within its timeout (a hang). */
  status: number;
  code: string | undefined;
  ms: number;
}

/**
 * Enqueues `webhooks` jobs with unique ids through the API replicas in turn until stopped,
 * `clients` at a time. Records every call and the ids the API acknowledged (202).
 *
 * @example
 *   const load = startJobLoad({ apis, key, hookUrl, clients: 2 });
 *   load.phase = 'redis-down'; … await load.stop();
 */
export function startJobLoad(options: {
  apis: string[];
  key: string;
  hookUrl: string;
  clients: number;
  timeoutMs: number;
  pauseMs: number;
}) {
  const acknowledged = new Set<string>();
  const calls: CallRecord[] = [];
  const state = { phase: 'warm-up', stopped: false, sent: 0 };
  const client = async (clientIndex: number) => {
    while (!state.stopped) {
      state.sent += 1;
      const id = `fault-${clientIndex}-${state.sent}`;
      const replica = state.sent % options.apis.length;
      const started = Date.now();
      const record: CallRecord = { phase: state.phase, replica, status: 0, code: undefined, ms: 0 };
      try {
        const response = await fetch(`${options.apis[replica]}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.key}` },
          body: JSON.stringify({
            queue: 'webhooks',
            id,
            payload: { url: options.hookUrl, event: 'fault.test', payload: { id } },
          }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
        record.status = response.status;
        record.code = body.error?.code;
        if (response.status === 202) acknowledged.add(id);
      } catch (error) {
        // A refused connection is a fast failure, not a hang; only the timeout counts as 0.
        record.code = (error as Error).name === 'TimeoutError' ? 'timeout' : 'connection-failed';
        record.status = record.code === 'timeout' ? 0 : -1;
      }
      record.ms = Date.now() - started;
      calls.push(record);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const running = Promise.all(Array.from({ length: options.clients }, (_, index) => client(index)));
  return {
    acknowledged,
    calls,
    get phase() {
      return state.phase;
    },
    set phase(value: string) {
      state.phase = value;
    },
    async stop() {
      state.stopped = true;
      await running;
    },
  };
}

/** Calls by phase and outcome (`202`, `503 dependency_unavailable`…), for the failure report. */
export function tally(calls: CallRecord[]): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  for (const call of calls) {
    const phase = (result[call.phase] ??= {});
    const key = `${call.status}${call.code ? ` ${call.code}` : ''}`;
    phase[key] = (phase[key] ?? 0) + 1;
  }
  return result;
}
