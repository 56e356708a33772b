import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { installRoot } from '../config/config.js';

/**
 * The running Keel's version, recorded in every backup manifest so an operator can tell which
 * release wrote it. Read from the install's `package.json`; `unknown` if it cannot be read.
 */
export function keelVersion(): string {
  try {
    const text = readFileSync(join(installRoot, 'package.json'), 'utf8');
    const parsed = z.object({ version: z.string() }).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
