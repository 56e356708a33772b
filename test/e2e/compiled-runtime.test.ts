import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KEEL_BIN,
  type KeelProcess,
  freePort,
  startKeel,
  waitForHttp,
} from '../helpers/keel-process.js';

/**
 * A module hook that fails the process the moment anything would load TypeScript or tsx: the
 * CLI and the servers must run from dist/ alone, as they do in the image (no dev dependencies).
 */
const NO_TYPESCRIPT_HOOK = `
export async function resolve(specifier, context, next) {
  if (/(^|\\/)tsx(\\/|$)|\\.ts$/.test(specifier)) throw new Error('TypeScript loaded: ' + specifier);
  return next(specifier, context);
}`;

describe('the compiled runtime (dist/), with no TypeScript loader anywhere', () => {
  let root: string;
  let nodeOptions: string[];
  const processes: KeelProcess[] = [];

  const keel = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [...nodeOptions, KEEL_BIN, ...args],
        { env: { ...process.env, KEEL_LOG_LEVEL: 'silent', ...env }, timeout: 120_000 },
      );
      return { code: 0, out: stdout, err: stderr };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, out: failure.stdout, err: failure.stderr };
    }
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'keel-dist-'));
    const hooks = join(root, 'no-typescript-hooks.mjs');
    writeFileSync(hooks, NO_TYPESCRIPT_HOOK);
    const register = join(root, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    nodeOptions = ['--import', register];
  });
  afterAll(async () => {
    await Promise.all(processes.map((child) => child.stop('SIGKILL')));
  });

  it('answers --help listing every command, and each command’s own --help', async () => {
    const help = await keel(['--help']);
    expect(help.code, help.err).toBe(0);
    for (const name of ['serve', 'api', 'orchestrator', 'worker', 'migrate', 'backup', 'policy'])
      expect(help.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    const policy = await keel(['policy', '--help']);
    expect(policy.out).toMatch(/^ {2}rollback /m);
    expect((await keel(['help', 'kb'])).out).toMatch(/^ {2}status /m);
  });

  it('starts the server from dist/, turns ready and answers a question with citations', async () => {
    const port = await freePort();
    const serve = startKeel(
      'serve',
      ['serve'],
      { PORT: String(port), KEEL_DATA_DIR: join(root, 'serve'), KEEL_LOG_LEVEL: 'warn' },
      { nodeOptions },
    );
    processes.push(serve);
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, {
      process: serve,
      timeoutMs: 120_000,
    });
    const response = await fetch(`http://127.0.0.1:${port}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'How do I roll back a policy?' }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { citations: { path: string }[] };
    expect(answer.citations[0]?.path).toBe('policies.md');
    expect(await serve.stop()).toBe('0');
  });

  it('runs the worker with /health/live, /health/ready and /metrics on KEEL_WORKER_PORT', async () => {
    const port = await freePort();
    const worker = startKeel(
      'worker',
      ['worker'],
      { KEEL_WORKER_PORT: String(port), KEEL_DATA_DIR: join(root, 'worker') },
      { nodeOptions },
    );
    processes.push(worker);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health/ready`, { process: worker, timeoutMs: 120_000 });
    expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: 'ok' });
    const ready = (await (await fetch(`${base}/health/ready`)).json()) as {
      checks: Record<string, string>;
    };
    expect(ready.checks).toMatchObject({ database: 'ok', jobs: 'ok', blobs: 'ok' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^keel_process_cpu_seconds_total /m);
    expect((await fetch(`${base}/anything`)).status).toBe(404);
    expect(await worker.stop()).toBe('0');
  });

  it('stops with one sentence and exit 1 on a missing secret file or production without secrets', async () => {
    const missing = await keel(['migrate'], {
      KEEL_DATA_DIR: join(root, 'secrets'),
      KEEL_SECRET_FILE: '/run/secrets/nowhere',
    });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(
      'KEEL_SECRET_FILE: names /run/secrets/nowhere, which does not exist',
    );
    expect(missing.err).not.toMatch(/\n\s+at /);
    const production = await keel(['serve'], {
      KEEL_DATA_DIR: join(root, 'production'),
      KEEL_PROFILE: 'production',
    });
    expect(production.code).toBe(1);
    expect(production.err).toContain('KEEL_SECRET: is missing');
    expect(production.err).not.toMatch(/\n\s+at /);
  });

  it('refuses to migrate a database a newer release has migrated, in one sentence', async () => {
    const dataDir = join(root, 'newer');
    expect((await keel(['migrate'], { KEEL_DATA_DIR: dataDir })).code).toBe(0);
    const database = new BetterSqlite3(join(dataDir, 'keel.db'));
    database
      .prepare('insert into kysely_migration (name, timestamp) values (?, ?)')
      .run('9999_from_a_newer_release', new Date().toISOString());
    database.close();
    const refused = await keel(['migrate'], { KEEL_DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toBe(
      'error [schema_newer_than_release]: The database was migrated by a newer Keel release (its migration 9999_from_a_newer_release is unknown to this one): run that release or newer, or restore a backup taken before the upgrade.',
    );
    // A running process of the previous release still opens it: migrations only expand.
    expect((await keel(['kb', 'status'], { KEEL_DATA_DIR: dataDir })).code).toBe(0);
  });
});
