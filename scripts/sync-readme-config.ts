// Rewrites the README's configuration table from the config schema: `npm run docs:config`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installRoot } from '../src/config/config.js';
import { variablesTable } from '../src/config/variables.js';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';
const file = join(installRoot, 'README.md');
const readme = readFileSync(file, 'utf8');
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
writeFileSync(
  file,
  `${readme.slice(0, start + START.length)}\n${variablesTable()}\n${readme.slice(end)}`,
);
console.log('README.md configuration table updated');
