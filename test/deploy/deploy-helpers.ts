import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretVariables, variableNames } from '../../src/config/variables.js';

/** Names Keel reads: its documented variables, and NAME_FILE for each secret one. */
export const KEEL_VARIABLES = new Set<string>([
  ...variableNames,
  ...secretVariables.map((name) => `${name}_FILE`),
]);

/** Secret variables (JWT keys, database, S3, provider keys, …) that must never be inline. */
export const SECRET_VARIABLES: readonly string[] = secretVariables;

/**
 * The environment a deployment gives Keel, with each `*_FILE` path (a mounted secret) replaced
 * by a real file holding a plausible value, so `checkConfig` can judge it as Keel would.
 */
export function withSecretFiles(env: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-deploy-secrets-'));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_FILE')) {
      out[name] = value;
      continue;
    }
    const path = join(dir, name);
    const secret =
      name === 'KEEL_JWT_KEYS_FILE'
        ? JSON.stringify({ keys: [] })
        : randomBytes(36).toString('base64url');
    writeFileSync(path, `${secret}\n`);
    out[name] = path;
  }
  return out;
}
