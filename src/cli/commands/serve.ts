import { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { QUEUE_NAMES } from '../../jobs/contracts.js';

// The servers' modules (Fastify, the governor, the queues) load only when a command starts.

/** `keel serve`: the whole of Keel in one process on SQLite, jobs included. */
export function serveCommand(): Command {
  return new Command('serve').action(async () => (await import('../servers.js')).runServe());
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

/** `keel worker`: job workers, with probes and metrics on KEEL_WORKER_PORT. */
export function workerCommand(): Command {
  return new Command('worker')
    .option(
      '--queues <list>',
      `comma-separated, of ${QUEUE_NAMES.join(', ')} (default: all configured)`,
    )
    .option('--concurrency <n>', 'jobs of each queue run at once', '1')
    .action(async (options: { queues?: string; concurrency: string }) => {
      const { parseQueueList } = await import('../../jobs/worker.js');
      const queues = options.queues === undefined ? undefined : parseQueueList(options.queues);
      const concurrency = concurrencyOption(options.concurrency);
      await (await import('../servers.js')).runWorker({ queues, concurrency });
    });
}

/** `keel api`: the public API alone; answers come from KEEL_ORCHESTRATOR_URL when set. */
export function apiCommand(): Command {
  return new Command('api').action(async () => (await import('../servers.js')).runApi());
}

/** `keel orchestrator`: the governor behind signed internal calls, on its own port. */
export function orchestratorCommand(): Command {
  return new Command('orchestrator').action(async () =>
    (await import('../servers.js')).runOrchestrator(),
  );
}
