import type { Keel } from '../keel.js';
import type { NewerSchema } from '../store/migrate.js';
import type { Store } from '../store/store.js';

/**
 * Opens Keel for one CLI command (logs to stderr, quiet unless something is wrong), runs it,
 * and closes the store whatever happens. Keel's modules are imported here, when a command
 * runs, so that `keel --help` and each command's help load nothing but commander.
 */
export async function withKeel<T>(
  run: (keel: Keel) => Promise<T>,
  options: { syncBundled?: boolean } = {},
): Promise<T> {
  const [{ loadConfig }, { openKeel, syncBundledKnowledge }, { createLogger }] = await Promise.all([
    import('../config/config.js'),
    import('../keel.js'),
    import('../telemetry/logger.js'),
  ]);
  const config = loadConfig();
  const logger = createLogger(process.env.KEEL_LOG_LEVEL ?? 'warn', process.stderr);
  const keel = await openKeel(config, { logger });
  try {
    if (options.syncBundled) await syncBundledKnowledge(keel);
    return await run(keel);
  } finally {
    await keel.close();
  }
}

/**
 * Opens only the database (migrated, as every process does) for a command that reads it and
 * needs no providers, queues, Redis or S3: `keel kb status`, `keel migrate`.
 */
export async function withStore<T>(
  run: (store: Store, location: string) => Promise<T>,
  options: { newerSchema?: NewerSchema } = {},
): Promise<T> {
  const [{ loadConfig }, { openStorage }, { createLogger }] = await Promise.all([
    import('../config/config.js'),
    import('../store/open-storage.js'),
    import('../telemetry/logger.js'),
  ]);
  const config = loadConfig();
  const logger = createLogger(process.env.KEEL_LOG_LEVEL ?? 'warn', process.stderr);
  const { store, location } = await openStorage(config, { logger, ...options });
  try {
    return await run(store, location);
  } finally {
    await store.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
