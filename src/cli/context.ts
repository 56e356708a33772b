import { loadConfig } from '../config/config.js';
import { type Keel, openKeel, syncBundledKnowledge } from '../keel.js';
import { createLogger } from '../telemetry/logger.js';

/**
 * Opens Keel for one CLI command (logs to stderr, quiet unless something is wrong), runs it,
 * and closes the store whatever happens.
 */
export async function withKeel<T>(
  run: (keel: Keel) => Promise<T>,
  options: { syncBundled?: boolean } = {},
): Promise<T> {
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

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
