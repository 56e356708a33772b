import { Command, CommanderError } from 'commander';
import { isKeelError } from '../errors.js';

/**
 * Every command, with the module that builds it. Only the module of the command being run is
 * imported: `keel --help` loads commander and nothing else, and `keel kb status` never loads
 * Fastify, BullMQ or the S3 client.
 */
const COMMANDS: Record<string, { description: string; load: () => Promise<Command> }> = {
  serve: {
    description: 'Run Keel in one process (API + governor + knowledge base + job worker)',
    load: async () => (await import('./commands/serve.js')).serveCommand(),
  },
  api: {
    description: 'Run the public HTTP API (stateless; scale out behind a load balancer)',
    load: async () => (await import('./commands/serve.js')).apiCommand(),
  },
  orchestrator: {
    description: 'Run the internal orchestrator (governor, providers) on KEEL_ORCHESTRATOR_PORT',
    load: async () => (await import('./commands/serve.js')).orchestratorCommand(),
  },
  worker: {
    description: 'Run job workers, with probes and metrics on KEEL_WORKER_PORT',
    load: async () => (await import('./commands/serve.js')).workerCommand(),
  },
  ask: {
    description: 'Ask a question; prints the governed answer with citations',
    load: async () => (await import('./commands/ask.js')).askCommand(),
  },
  kb: {
    description: 'Knowledge base: sync sources, status, search',
    load: async () => (await import('./commands/kb.js')).kbCommand(),
  },
  jobs: {
    description: 'Durable jobs: list, show, retry, cancel',
    load: async () => (await import('./commands/jobs.js')).jobsCommand(),
  },
  policy: {
    description: 'Policy versions: list, show, diff, activate, roll back, test, promote',
    load: async () => (await import('./commands/policy.js')).policyCommand(),
  },
  config: {
    description: 'Check or document the configuration',
    load: async () => (await import('./commands/config.js')).configCommand(),
  },
  migrate: {
    description: 'Apply pending database migrations (SQLite, or PostgreSQL with DATABASE_URL)',
    load: async () => (await import('./commands/migrate.js')).migrateCommand(),
  },
  user: {
    description: 'Users: create, disable, enable, list',
    load: async () => (await import('./commands/user.js')).userCommand(),
  },
  apikey: {
    description: 'API keys: create (shown once), revoke, list',
    load: async () => (await import('./commands/apikey.js')).apikeyCommand(),
  },
  backup: {
    description: 'Back up the database into the blob store (list and verify: see subcommands)',
    load: async () => (await import('./commands/backup.js')).backupCommand(),
  },
  mcp: {
    description: 'Serve MCP over stdio (tools search_knowledge, ask, list_sources; documents)',
    load: async () => (await import('./commands/mcp.js')).mcpCommand(),
  },
  restore: {
    description: 'Replace the database with a backup, after verifying it (needs --yes)',
    load: async () => (await import('./commands/backup.js')).restoreCommand(),
  },
};

/** The command named on the command line (`keel kb status` → kb, `keel help kb` → kb). */
function requestedCommand(argv: string[]): string | undefined {
  const words = argv.filter((word) => !word.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

const program = new Command()
  .name('keel')
  .description('Keel: governed answers with citations over a versioned knowledge base')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

const requested = requestedCommand(process.argv.slice(2));
for (const [name, entry] of Object.entries(COMMANDS)) {
  // The others are listed by name and description only; their modules are never imported.
  const command = name === requested ? await entry.load() : new Command(name);
  program.addCommand(command.description(entry.description));
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (isKeelError(error)) {
    console.error(`error [${error.code}]: ${error.message}`);
    process.exitCode = 1;
  } else if (isListenError(error)) {
    console.error(
      `error: ${error.address}:${error.port} is ${error.code === 'EADDRINUSE' ? 'already in use' : 'not allowed'}; ` +
        'set another port (PORT, KEEL_ORCHESTRATOR_PORT or KEEL_WORKER_PORT).',
    );
    process.exitCode = 1;
  } else {
    console.error(`error: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}

/** A server that could not bind its port: said in one sentence, not a stack trace. */
function isListenError(
  error: unknown,
): error is NodeJS.ErrnoException & { address: string; port: number } {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    (code === 'EADDRINUSE' || code === 'EACCES') &&
    (error as { syscall?: string }).syscall === 'listen'
  );
}
