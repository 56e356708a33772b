import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The running Keel's version, recorded in every backup manifest so an operator can tell which
 * release wrote it. Read from `package.json` two folders up, which holds for `src/backup/` in a
 * checkout and `dist/backup/` in a built package alike; `unknown` if it cannot be read.
 */
export function keelVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const parsed = z.object({ version: z.string() }).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
