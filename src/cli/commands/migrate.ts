import { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { openStorage } from '../../store/open-storage.js';
import { createLogger } from '../../telemetry/logger.js';

/**
 * `keel migrate`: applies pending database migrations to the SQLite file or, with DATABASE_URL,
 * to PostgreSQL (opening the store does exactly that, under a lock, so running it beside live
 * processes is safe). Only the store is opened: a migration step in a deploy pipeline needs
 * neither Redis nor S3 nor the providers.
 */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description('Apply pending database migrations (SQLite, or PostgreSQL with DATABASE_URL)')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(process.env.KEEL_LOG_LEVEL ?? 'warn', process.stderr);
      const { store, location } = await openStorage(config, { logger });
      try {
        console.log(`Database is up to date (${store.dialect}, ${location}).`);
      } finally {
        await store.close();
      }
    });
}
