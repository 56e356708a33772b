import type { Migrator } from 'kysely';
import { KeelError } from '../errors.js';

/** Applies pending migrations; a failed one stops start-up with the migration's name. */
export async function migrateToLatest(migrator: Migrator): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new KeelError(
      'migration_failed',
      `Database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`,
    );
  }
  return (results ?? []).map((result) => result.migrationName);
}
