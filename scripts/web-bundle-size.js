#!/usr/bin/env node
// Reports the production web bundle's size, raw and gzip (what a browser downloads), per file and
// in all, from `web/dist` (run `npm run build:web` first). `--json` prints one JSON object.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = join(import.meta.dirname, '..', 'web', 'dist');

function files(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

let list;
try {
  list = files(dist).filter((path) => /\.(js|css|html)$/.test(path));
} catch {
  console.error('web/dist is missing: run `npm run build:web` first');
  process.exit(1);
}
const rows = list.map((path) => {
  const content = readFileSync(path);
  return {
    file: relative(dist, path),
    bytes: content.length,
    gzipBytes: gzipSync(content, { level: 9 }).length,
  };
});
const total = rows.reduce(
  (sum, row) => ({ bytes: sum.bytes + row.bytes, gzipBytes: sum.gzipBytes + row.gzipBytes }),
  { bytes: 0, gzipBytes: 0 },
);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ files: rows, total }, null, 2));
} else {
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  for (const row of rows)
    console.log(
      `${row.file.padEnd(36)} ${kib(row.bytes).padStart(11)}  gzip ${kib(row.gzipBytes)}`,
    );
  console.log(
    `${'total'.padEnd(36)} ${kib(total.bytes).padStart(11)}  gzip ${kib(total.gzipBytes)}`,
  );
}
