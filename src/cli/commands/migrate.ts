import { Command } from 'commander';
import { withStore } from '../context.js';

/**
 * `keel migrate`: applies pending database migrations to the SQLite file or, with DATABASE_URL,
 * to PostgreSQL (opening the store does exactly that, under a lock, so running it beside live
 * processes is safe). A database a newer release has migrated is refused with one sentence. Only the store is opened: a migration step in a deploy pipeline needs
 * neither Redis nor S3 nor the providers.
 */
export function migrateCommand(): Command {
  return new Command('migrate').action(async () => {
    await withStore(
      async (store, location) => {
        console.log(`Database is up to date (${store.dialect}, ${location}).`);
      },
      { newerSchema: 'refuse' },
    );
  });
}
