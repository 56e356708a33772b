import { Command } from 'commander';
import { withStore } from '../context.js';

/**
 * `keel migrate`: applies pending database migrations to the SQLite file or, with DATABASE_URL,
 * to PostgreSQL (opening the store does exactly that, under a lock, so running it beside live
 * processes is safe). A database a newer release has migrated is refused with one sentence. With
 * KEEL_POLICY_VERSION set it also activates that policy version. Only the store is opened: a migration step in a deploy pipeline needs
 * neither Redis nor S3 nor the providers.
 */
export function migrateCommand(): Command {
  return new Command('migrate').action(async () => {
    await withStore(
      async (store, location) => {
        console.log(`Database is up to date (${store.dialect}, ${location}).`);
        // The release's pinned policy version becomes active here too, before the new pods.
        const [{ loadConfig }, { PolicyService }, { applyPolicyPin }] = await Promise.all([
          import('../../config/config.js'),
          import('../../governor/policy-service.js'),
          import('../../governor/policy-promotion.js'),
        ]);
        const config = loadConfig();
        const outcome = await applyPolicyPin({
          pin: config.policyVersion,
          policies: new PolicyService(store, config.policiesDir),
          store,
          policiesDir: config.policiesDir,
          secret: config.secret,
        });
        if (outcome !== 'none') {
          console.log(
            `Policy version ${config.policyVersion} is active (${outcome === 'activated' ? 'activated now, ' : ''}pinned by KEEL_POLICY_VERSION).`,
          );
        }
      },
      { newerSchema: 'refuse' },
    );
  });
}
