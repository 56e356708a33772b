import type { Config } from '../config/config.js';
import { loadConfig } from '../config/config.js';
import { checkSecretStrength } from '../config/secret-strength.js';
import { ConfigError } from '../errors.js';
import { buildApp } from '../api/app.js';
import type { QueueName } from '../jobs/contracts.js';
import { type Keel, openKeel, readinessChecks, syncBundledKnowledge } from '../keel.js';
import { applyPolicyPin } from '../governor/policy-promotion.js';
import { buildOrchestratorApp } from '../orchestrator/server.js';
import { startProbeServer } from '../telemetry/probe-server.js';
import { type Tracing, startTracing } from '../telemetry/tracing.js';

interface Closable {
  close(): Promise<unknown>;
}

/**
 * The long-running processes behind `keel serve|api|orchestrator|worker`. Their command
 * definitions (serve.ts) import this module only when one of them starts.
 */

/** Closes the servers, then the stores, on SIGINT/SIGTERM: in-flight requests finish first. */
function closeOnSignals(
  keel: Keel,
  servers: Closable[],
  beforeClose?: () => void,
  tracing?: Tracing,
): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    keel.logger.info({ signal }, 'shutting down');
    beforeClose?.();
    await Promise.all(servers.map((server) => server.close()));
    await keel.close();
    // The spans of the last requests are still in the batch: send them before exiting.
    await tracing?.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function printSetupToken(config: Config, setupToken: string | undefined): void {
  if (!setupToken || !config.auth.enabled) return;
  // Printed, not logged: a one-time credential for the operator at the console.
  process.stderr.write(
    `\nNo accounts yet. Create the first admin with this one-time setup token:\n\n` +
      `  curl -s http://${config.server.host}:${config.server.port}/v1/auth/setup -H 'content-type: application/json' \\\n` +
      `    -d '{"setupToken":"${setupToken}","email":"you@example.com","password":"…"}'\n\n` +
      `or run: npx keel user create --email you@example.com --role admin\n\n`,
  );
}

async function startApi(keel: Keel): Promise<Closable> {
  const { config } = keel;
  const setupToken = await keel.accounts.issueSetupToken();
  const app = await buildApp(keel);
  await app.listen({ host: config.server.host, port: config.server.port });
  keel.logger.info(
    {
      url: `http://${config.server.host}:${config.server.port}`,
      orchestrator: config.orchestrator.url ?? 'in-process',
      profile: config.profile,
    },
    'Keel API is listening',
  );
  printSetupToken(config, setupToken);
  return app;
}

/**
 * Opens Keel for a serving process and applies the environment's policy pin
 * (`KEEL_POLICY_VERSION`) before anything is served; a pin this environment cannot run stops
 * the start with one sentence (and closes what was opened, so the process exits).
 */
async function openPinned(config: Config): Promise<Keel> {
  const keel = await openKeel(config);
  try {
    const outcome = await applyPolicyPin({
      pin: config.policyVersion,
      policies: keel.policies,
      store: keel.store,
      policiesDir: config.policiesDir,
      secret: config.secret,
    });
    if (outcome === 'activated') {
      keel.logger.info({ version: config.policyVersion }, 'activated the pinned policy version');
    }
    return keel;
  } catch (error) {
    await keel.close();
    throw error;
  }
}

/** `keel serve`: the whole of Keel in one process on SQLite, jobs included. */
export async function runServe(): Promise<void> {
  const tracing = await startTracing('keel');
  const keel = await openPinned(loadConfig());
  await syncBundledKnowledge(keel);
  keel.startWorker();
  closeOnSignals(keel, [await startApi(keel)], undefined, tracing);
}

/** `keel api`: the public API alone; answers come from KEEL_ORCHESTRATOR_URL when set. */
export async function runApi(): Promise<void> {
  const tracing = await startTracing('keel-api');
  const keel = await openPinned(loadConfig());
  closeOnSignals(keel, [await startApi(keel)], undefined, tracing);
}

/** `keel orchestrator`: the governor behind signed internal calls, on its own port. */
export async function runOrchestrator(): Promise<void> {
  const config = loadConfig();
  const secret = config.orchestrator.secret;
  // The same bar as the API's side (config.ts): a guessable secret lets anyone on the
  // internal network run the governor as any workspace.
  const weakness = checkSecretStrength(secret);
  if (weakness || !secret) {
    throw new ConfigError(`KEEL_INTERNAL_SECRET ${weakness ?? 'is missing'}`, [
      { variable: 'KEEL_INTERNAL_SECRET', message: weakness ?? 'is missing' },
    ]);
  }
  const tracing = await startTracing('keel-orchestrator');
  const keel = await openPinned(config);
  await syncBundledKnowledge(keel);
  const app = await buildOrchestratorApp(keel, secret);
  await app.listen({ host: config.server.host, port: config.orchestrator.port });
  keel.logger.info({ port: config.orchestrator.port }, 'Keel orchestrator is listening');
  closeOnSignals(keel, [app], undefined, tracing);
}

/**
 * `keel worker`: runs jobs until SIGTERM or SIGINT, then stops taking jobs, lets running ones
 * finish (25 s at most) and hands the rest back to the queue. Its probes and metrics listen on
 * KEEL_WORKER_PORT; readiness turns 503 as soon as the drain starts.
 */
export async function runWorker(options: {
  queues: QueueName[] | undefined;
  concurrency: number;
}): Promise<void> {
  const tracing = await startTracing('keel-worker');
  const keel = await openPinned(loadConfig());
  const { config } = keel;
  const worker = keel.startWorker({
    concurrency: options.concurrency,
    ...(options.queues && { queues: options.queues }),
  });
  const probes = await startProbeServer({
    host: config.server.host,
    port: config.worker.port,
    registry: keel.metrics.registry,
    readiness: () => readinessChecks(keel),
  });
  keel.logger.info(
    {
      queues: worker.queues,
      concurrency: options.concurrency,
      backend: config.redis.url ? 'bullmq' : 'sqlite',
      probes: `http://${config.server.host}:${probes.port}`,
    },
    'Keel worker is running',
  );
  // The probe server stays up through the drain: live, but no longer ready.
  closeOnSignals(keel, [], () => probes.drain(), tracing);
}
