import type { Migrator } from 'kysely';
import { KeelError } from '../errors.js';

const UNKNOWN_MIGRATION = /previously executed migration (\S+) is missing/;

/**
 * What to do with a database a newer release has migrated: a running process `accept`s it
 * (migrations only expand the schema, so the previous release keeps working after an upgrade
 * and can be rolled back to), while `keel migrate` `refuse`s, since it cannot migrate backwards.
 */
export type NewerSchema = 'accept' | 'refuse';

/**
 * Applies pending migrations; a failed one stops start-up with the migration's name.
 */
export async function migrateToLatest(
  migrator: Migrator,
  newerSchema: NewerSchema = 'accept',
): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  const unknown = UNKNOWN_MIGRATION.exec((error as Error | undefined)?.message ?? '')?.[1];
  if (unknown) {
    // Every migration this release knows has run: the schema is ours, expanded.
    const known = await migrator.getMigrations();
    if (newerSchema === 'accept' && known.every((migration) => migration.executedAt)) return [];
    throw new KeelError(
      'schema_newer_than_release',
      `The database was migrated by a newer Keel release (its migration ${unknown} is unknown to this one): run that release or newer, or restore a backup taken before the upgrade.`,
    );
  }
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new KeelError(
      'migration_failed',
      `Database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`,
    );
  }
  return (results ?? []).map((result) => result.migrationName);
}
