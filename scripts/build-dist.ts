// Compiles src/ into dist/ when dist is missing or older than its sources, so that `npm start`,
// `npx keel` and the tests run the compiled CLI of the current code, and an unchanged tree is not
// rebuilt. esbuild bundles it from the CLI's entry (about a second; `npm run typecheck` checks
// types).
// Without it (an install without dev dependencies) it says so. The test setup imports it too.
// Run: node bin/run-ts.js scripts/build-dist.ts
import {
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import type * as Esbuild from 'esbuild';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const SOURCES = join(ROOT, 'src');
/** Libraries bundled into dist/ rather than loaded module by module from node_modules. */
const BUNDLED = new Set(['commander', 'kysely', 'yaml', 'zod']);
/** Written after a successful build, dated when the build started. */
const STAMP = join(DIST, '.built');

const isTest = (path: string) => /\.test\.ts$/.test(path);

/** Every file of src/ but the tests: TypeScript to compile, data (JSON models) to copy. */
function sources(): string[] {
  return readdirSync(SOURCES, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !isTest(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** True when dist/ was built from the current src/ (or there is no src/ to build from). */
export function distBuildIsFresh(): boolean {
  if (!existsSync(SOURCES)) return true;
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  // A file removed or moved in src/ leaves its folder newer than the stamp.
  const folders = readdirSync(SOURCES, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name));
  return [SOURCES, ...folders, ...sources()].every((path) => statSync(path).mtimeMs <= built);
}

/** Builds dist/ from scratch unless it is fresh: nothing of a removed source survives. */
export async function ensureDistBuild(): Promise<'fresh' | 'no-esbuild' | 'built'> {
  if (distBuildIsFresh()) return 'fresh';
  let esbuild: typeof Esbuild;
  try {
    esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  } catch {
    return 'no-esbuild';
  }
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  await esbuild.build({
    // One bundle from the CLI's entry: each lazily loaded command becomes a chunk. Loading a few
    // chunks instead of hundreds of ES modules halves the CPU of a short command (`keel kb
    // status`: 0.8 s -> 0.4 s).
    entryPoints: { 'cli/main': join(SOURCES, 'cli', 'main.ts') },
    outdir: DIST,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    // Pure-JavaScript libraries made of many modules are bundled too; the others (native
    // addons, packages that find their own files or start worker threads) load from
    // node_modules as usual.
    external: Object.keys(manifest.dependencies).filter((name) => !BUNDLED.has(name)),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Node 20.10+ reads `with { type: 'json' }`; esbuild would otherwise drop it for node20.
    supported: { 'import-attributes': true },
    // The bundled CommonJS libraries (commander) call require() for Node's own modules.
    banner: {
      js: "import { createRequire as keelCreateRequire } from 'node:module'; const require = keelCreateRequire(import.meta.url);",
    },
    sourcemap: true,
    logLevel: 'warning',
  });
  writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
  // A source saved during the build is newer than the stamp: the next run rebuilds.
  utimesSync(STAMP, started / 1000, started / 1000);
  return 'built';
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  const outcome = await ensureDistBuild();
  if (outcome === 'built') console.error('keel: compiled src/ into dist/');
  if (outcome === 'no-esbuild' && !existsSync(join(DIST, 'cli', 'main.js'))) {
    console.error(
      'keel: dist/ is missing and esbuild is not installed: npm install, then npm run build',
    );
    process.exitCode = 1;
  }
}
