// Writes Keel's OpenAPI document (as GET /v1/openapi.json serves it) to a file, for linting
// (`npm run lint:openapi`) and client generators. Usage: node bin/run-ts.js scripts/export-openapi.ts out.json
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config/config.js';
import { openKeel } from '../src/keel.js';
import { createLogger } from '../src/telemetry/logger.js';

const out = process.argv[2] ?? 'openapi.json';
const config = loadConfig({
  env: { KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'keel-openapi-')), KEEL_LOG_LEVEL: 'silent' },
  file: '/nonexistent/keel.yaml',
});
const keel = await openKeel(config, { logger: createLogger('silent') });
const app = await buildApp(keel);
// A fresh checkout has no data/ folder yet.
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
await keel.close();
