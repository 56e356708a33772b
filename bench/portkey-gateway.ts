import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitForHttp } from '../test/helpers/keel-process.js';
import { repoRoot } from './scifact.js';

/*
 * Portkey's open-source AI gateway, the pass-through proxy Keel is compared with. It is not a
 * dependency of Keel: the benchmark installs the pinned version with npm into a cache folder
 * (once, then reused) and runs its Node build as its own OS process.
 */

export const PORTKEY_PACKAGE = '@portkey-ai/gateway';
export const PORTKEY_VERSION = '1.15.2';

/** Outside node_modules so `npm install` and `npm ci` in the checkout never touch it. */
const CACHE_DIR = join(repoRoot, '.keel-bench', `portkey-${PORTKEY_VERSION}`);
const ENTRY = join(CACHE_DIR, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');

/** Installs the gateway into the cache folder unless it is there, and returns its entry file. */
export async function installPortkey(): Promise<string> {
  if (existsSync(ENTRY)) return ENTRY;
  await mkdir(CACHE_DIR, { recursive: true });
  console.error(`installing ${PORTKEY_PACKAGE}@${PORTKEY_VERSION} into ${CACHE_DIR}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(
    npm,
    [
      'install',
      '--prefix',
      CACHE_DIR,
      '--no-save',
      '--no-audit',
      '--no-fund',
      // Its postinstall patches a dependency the Node build does not load.
      '--ignore-scripts',
      `${PORTKEY_PACKAGE}@${PORTKEY_VERSION}`,
    ],
    { cwd: CACHE_DIR, maxBuffer: 16 * 2 ** 20 },
  );
  if (!existsSync(ENTRY)) throw new Error(`${PORTKEY_PACKAGE} installed without ${ENTRY}`);
  return ENTRY;
}

export interface PortkeyProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the gateway on `port` (headless: no log UI) and waits until it answers. */
export async function startPortkey(
  entry: string,
  port: number,
  nodeOptions: string[] = [],
): Promise<PortkeyProcess> {
  const child = spawn(process.execPath, [...nodeOptions, entry, `--port=${port}`, '--headless'], {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      // A gateway that dies mid-run says why; its clients then count refused connections.
      if (!stopping) console.error(`Portkey exited (${code ?? signal}):\n${errors}`);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/`, { timeoutMs: 60_000 });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`Portkey did not start: ${(error as Error).message}\n${errors}`);
  }
  return {
    url,
    child,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
