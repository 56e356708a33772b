import { Command } from 'commander';
import { withKeel } from '../context.js';

/** `keel migrate`: applies pending database migrations (opening the store does exactly that). */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description('Apply pending database migrations')
    .action(async () => {
      await withKeel(async (keel) => {
        console.log(`Database is up to date (${keel.store.dialect}, ${keel.config.dataDir}).`);
      });
    });
}
