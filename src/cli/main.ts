import { Command, CommanderError } from 'commander';
import { isKeelError } from '../errors.js';
import { askCommand } from './commands/ask.js';
import { configCommand } from './commands/config.js';
import { kbCommand } from './commands/kb.js';
import { migrateCommand } from './commands/migrate.js';
import { policyCommand } from './commands/policy.js';
import { apiCommand, orchestratorCommand, serveCommand, workerCommand } from './commands/serve.js';
import { jobsCommand } from './commands/jobs.js';
import { apikeyCommand } from './commands/apikey.js';
import { userCommand } from './commands/user.js';
import { mcpCommand } from './commands/mcp.js';
import { backupCommands } from './commands/backup.js';

const program = new Command()
  .name('keel')
  .description('Keel: governed answers with citations over a versioned knowledge base')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

program.addCommand(serveCommand());
program.addCommand(apiCommand());
program.addCommand(orchestratorCommand());
program.addCommand(workerCommand());
program.addCommand(askCommand());
program.addCommand(kbCommand());
program.addCommand(jobsCommand());
program.addCommand(policyCommand());
program.addCommand(configCommand());
program.addCommand(migrateCommand());
program.addCommand(userCommand());
program.addCommand(apikeyCommand());
program.addCommand(mcpCommand());
for (const command of backupCommands()) program.addCommand(command);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (isKeelError(error)) {
    console.error(`error [${error.code}]: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(`error: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
