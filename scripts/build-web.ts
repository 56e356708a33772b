// Builds the web app into web/dist when it is missing or older than its sources, so that
// `npm start` on a fresh checkout serves the app at / and an unchanged app is not rebuilt.
// Without Vite (an install without dev dependencies) it says so and leaves Keel to start
// without the app. The browser tests import it too. Run: node bin/run-ts.js scripts/build-web.ts
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** True when web/dist was built from the current sources (or there is nothing to build from). */
export function webBuildIsFresh(): boolean {
  const index = join(ROOT, 'web', 'dist', 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => join(ROOT, 'web', name));
  if (!sources.every(existsSync)) return true;
  return existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime));
}

/** Builds web/dist unless it is fresh; `quiet` keeps Vite's output for errors only. */
export function ensureWebBuild({ quiet = false } = {}): 'fresh' | 'no-vite' | 'built' {
  if (webBuildIsFresh()) return 'fresh';
  if (!existsSync(VITE)) return 'no-vite';
  execFileSync(process.execPath, [VITE, 'build', 'web'], {
    cwd: ROOT,
    stdio: quiet ? 'pipe' : ['ignore', 'ignore', 'inherit'],
    timeout: 180_000,
  });
  return 'built';
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  const outcome = ensureWebBuild();
  if (outcome === 'built') console.error('keel: built the web app into web/dist');
  if (outcome === 'no-vite') {
    console.error('keel: web/dist is missing and Vite is not installed; the web app is not served');
  }
}
