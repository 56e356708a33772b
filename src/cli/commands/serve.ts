import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { type Config, loadConfig } from '../../config/config.js';
import { checkSecretStrength } from '../../config/secret-strength.js';
import { ConfigError, ValidationError } from '../../errors.js';
import { type Keel, openKeel, syncBundledKnowledge } from '../../keel.js';
import { buildOrchestratorApp } from '../../orchestrator/server.js';
import { QUEUE_NAMES } from '../../jobs/contracts.js';
import { parseQueueList } from '../../jobs/worker.js';

/** Closes the servers, then the stores, on SIGINT/SIGTERM: in-flight requests finish first. */
function closeOnSignals(keel: Keel, servers: FastifyInstance[]): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    keel.logger.info({ signal }, 'shutting down');
    await Promise.all(servers.map((server) => server.close()));
    await keel.close();
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

async function startApi(keel: Keel): Promise<FastifyInstance> {
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
  return app as unknown as FastifyInstance;
}

/** `keel serve`: the whole of Keel in one process on SQLite, jobs included. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('Run Keel in one process (API + governor + knowledge base + job worker)')
    .action(async () => {
      const keel = await openKeel(loadConfig());
      await syncBundledKnowledge(keel);
      keel.startWorker();
      closeOnSignals(keel, [await startApi(keel)]);
    });
}

/** `--concurrency`: a whole number of jobs per queue, refused before anything opens. */
function concurrencyOption(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > 256) {
    throw new ValidationError('invalid_concurrency', '--concurrency must be a whole number 1-256', {
      concurrency: text,
    });
  }
  return value;
}

/**
 * `keel worker`: runs jobs until SIGTERM or SIGINT, then stops taking jobs, lets running ones
 * finish (25 s at most) and hands the rest back to the queue.
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description('Run job workers (scale out: one or more per machine); no HTTP server')
    .option(
      '--queues <list>',
      `comma-separated, of ${QUEUE_NAMES.join(', ')} (default: all configured)`,
    )
    .option('--concurrency <n>', 'jobs of each queue run at once', '1')
    .action(async (options: { queues?: string; concurrency: string }) => {
      const queues = options.queues === undefined ? undefined : parseQueueList(options.queues);
      const concurrency = concurrencyOption(options.concurrency);
      const keel = await openKeel(loadConfig());
      const worker = keel.startWorker({ concurrency, ...(queues && { queues }) });
      keel.logger.info(
        {
          queues: worker.queues,
          concurrency,
          backend: keel.config.redis.url ? 'bullmq' : 'sqlite',
        },
        'Keel worker is running',
      );
      closeOnSignals(keel, []);
    });
}

/** `keel api`: the public API alone; answers come from KEEL_ORCHESTRATOR_URL when set. */
export function apiCommand(): Command {
  return new Command('api')
    .description('Run the public HTTP API (stateless; scale out behind a load balancer)')
    .action(async () => {
      const keel = await openKeel(loadConfig());
      closeOnSignals(keel, [await startApi(keel)]);
    });
}

/** `keel orchestrator`: the governor behind signed internal calls, on its own port. */
export function orchestratorCommand(): Command {
  return new Command('orchestrator')
    .description('Run the internal orchestrator (governor, providers) on KEEL_ORCHESTRATOR_PORT')
    .action(async () => {
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
      const keel = await openKeel(config);
      await syncBundledKnowledge(keel);
      const app = await buildOrchestratorApp(keel, secret);
      await app.listen({ host: config.server.host, port: config.orchestrator.port });
      keel.logger.info({ port: config.orchestrator.port }, 'Keel orchestrator is listening');
      closeOnSignals(keel, [app as unknown as FastifyInstance]);
    });
}
