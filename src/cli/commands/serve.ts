import { Command } from 'commander';
import { buildApp } from '../../api/app.js';
import { loadConfig } from '../../config/config.js';
import { openKeel, syncBundledKnowledge } from '../../keel.js';

/** `keel serve`: the whole of Keel in one process on SQLite. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('Run Keel in one process (API + governor + knowledge base)')
    .action(async () => {
      const config = loadConfig();
      const keel = await openKeel(config);
      await syncBundledKnowledge(keel);
      const setupToken = await keel.accounts.issueSetupToken();
      const app = await buildApp(keel);
      await app.listen({ host: config.server.host, port: config.server.port });
      keel.logger.info(
        {
          url: `http://${config.server.host}:${config.server.port}`,
          provider: config.providers.chat,
          profile: config.profile,
        },
        'Keel is listening',
      );
      if (setupToken && config.auth.enabled) {
        // Printed, not logged: a one-time credential for the operator at the console.
        process.stderr.write(
          `\nNo accounts yet. Create the first admin with this one-time setup token:\n\n` +
            `  curl -s http://${config.server.host}:${config.server.port}/v1/auth/setup -H 'content-type: application/json' \\\n` +
            `    -d '{"setupToken":"${setupToken}","email":"you@example.com","password":"…"}'\n\n` +
            `or run: npx keel user create --email you@example.com --role admin\n\n`,
        );
      }
      let closing = false;
      const shutdown = async (signal: string) => {
        if (closing) return;
        closing = true;
        keel.logger.info({ signal }, 'shutting down');
        await app.close();
        await keel.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
