#!/usr/bin/env node
// Runs Keel's CLI from the compiled JavaScript in dist/ (`npm run build`; `npm start` builds it
// when missing or older than src/). Node 22 keeps the compiled code cached between runs.
import module from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('keel: dist/ is missing; build it first with: npm run build');
  process.exit(1);
}
module.enableCompileCache?.();
await import(main);
