import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ResolveHost } from '../../src/net/outbound-guard.js';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/config.js';
import { type Keel, openKeel, syncBundledKnowledge } from '../../src/keel.js';
import { createLogger } from '../../src/telemetry/logger.js';

/**
 * A Keel on a fresh temporary data folder, with the bundled docs synced unless told otherwise,
 * a job worker on every available queue (as `keel serve` runs; `worker: false` for none, as
 * `keel api`), and its HTTP app. Extra variables override the defaults (e.g. a provider's base URL).
 */
export async function createTestKeel(
  env: Record<string, string> = {},
  options: { bundled?: boolean; worker?: boolean; logger?: Logger; resolveHost?: ResolveHost } = {},
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-test-'));
  const config = loadConfig({
    env: { KEEL_DATA_DIR: dataDir, KEEL_LOG_LEVEL: 'silent', ...env },
    file: '/nonexistent/keel.yaml',
  });
  const keel: Keel = await openKeel(config, {
    logger: options.logger ?? createLogger('silent'),
    ...(options.resolveHost && { resolveHost: options.resolveHost }),
  });
  if (options.bundled !== false) await syncBundledKnowledge(keel);
  if (options.worker !== false) keel.startWorker();
  const app = await buildApp(keel);
  return {
    keel,
    app,
    dataDir,
    async close() {
      await app.close();
      await keel.close();
    },
  };
}

/** What `createTestKeel` returns: the Keel, its HTTP app, its data folder and `close()`. */
export type TestKeel = Awaited<ReturnType<typeof createTestKeel>>;
