import { Command } from 'commander';
import { checkConfig } from '../../config/config.js';
import { variablesTable } from '../../config/variables.js';

/** `keel config check|docs`. */
export function configCommand(): Command {
  const command = new Command('config');
  command
    .command('check')
    .description('Print every configuration problem, naming the variable')
    .action(() => {
      const { config, problems } = checkConfig();
      if (problems.length > 0) {
        for (const problem of problems) console.log(`✗ ${problem.variable}: ${problem.message}`);
        console.log(`${problems.length} problem${problems.length === 1 ? '' : 's'} found.`);
        process.exitCode = 1;
        return;
      }
      console.log(
        `✓ configuration is valid (profile ${config!.profile}, provider ${config!.providers.chat}, data ${config!.dataDir})`,
      );
    });
  command
    .command('docs')
    .description('Print the configuration table (Markdown), as in the README')
    .action(() => console.log(variablesTable()));
  return command;
}
