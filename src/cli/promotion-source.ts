import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/config.js';
import { ValidationError } from '../errors.js';
import type { Keel } from '../keel.js';
import { describeDatabaseUrl, openStorage } from '../store/open-storage.js';
import type { Store } from '../store/store.js';

/**
 * Opens the database of the environment a policy is promoted from: a `postgres://` URL (its
 * password from PGPASSWORD, so none is on the command line) or a data folder holding `keel.db`.
 * It is opened as every Keel process opens a database; one made by a newer Keel is refused.
 */
export async function openPromotionSource(
  from: string,
  keel: Keel,
): Promise<{ store: Store; label: string }> {
  const isUrl = /^postgres(ql)?:\/\//i.test(from);
  const env: NodeJS.ProcessEnv = isUrl ? { DATABASE_URL: from } : { KEEL_DATA_DIR: resolve(from) };
  if (!isUrl && !existsSync(join(resolve(from), 'keel.db'))) {
    throw new ValidationError(
      'promotion_source_missing',
      `There is no Keel database in ${resolve(from)} (no keel.db); give the source environment's data folder or postgres:// URL.`,
    );
  }
  const label = isUrl ? describeDatabaseUrl(from) : join(resolve(from), 'keel.db');
  const here = keel.config.database.url
    ? describeDatabaseUrl(keel.config.database.url)
    : join(resolve(keel.config.dataDir), 'keel.db');
  if (label === here) {
    throw new ValidationError(
      'promotion_source_is_target',
      `The source ${label} is this environment's own database; promote from the previous environment.`,
    );
  }
  const config = loadConfig({ env, file: '/nonexistent/keel.yaml' });
  const { store } = await openStorage(config, { logger: keel.logger, newerSchema: 'refuse' });
  return { store, label };
}
