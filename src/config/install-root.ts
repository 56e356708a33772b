import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds Keel's package.json (a checkout, or the install in an image): found by
 * walking up from this module, which sits in src/config/ or in a chunk of the bundled dist/.
 */
export const installRoot = findInstallRoot(dirname(fileURLToPath(import.meta.url)));

function findInstallRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) return resolve(start, '..', '..');
  }
}
