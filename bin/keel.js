#!/usr/bin/env node
// Runs Keel's CLI. From a checkout (src/ present) the TypeScript sources run directly through
// tsx, so `npm start` and `npx keel` need no build step; a built package runs dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (existsSync(`${root}src/cli/main.ts`)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(`${root}src/cli/main.ts`);
} else {
  await import(`${root}dist/cli/main.js`);
}
