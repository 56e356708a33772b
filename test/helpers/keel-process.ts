import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The checkout's `bin/keel.js`: the CLI as an operator runs it. */
export const KEEL_BIN = join(import.meta.dirname, '..', '..', 'bin', 'keel.js');

/** A port nobody listens on right now (the OS picks it; a tiny race is acceptable in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * How long one CLI command may take before a test calls it hung. Generous on purpose: each
 * command is a new Node process that loads (and, from a checkout, compiles) the sources, which
 * takes 5–30 s of wall time when the 2-core test machine is busy; a hang still fails.
 */
export const CLI_CALL_TIMEOUT_MS = 150_000;

/** A test's own limit when it runs `calls` CLI commands one after another. */
export function cliTestTimeout(calls: number): number {
  return calls * CLI_CALL_TIMEOUT_MS + 30_000;
}

/**
 * Runs `keel ARGS` and returns its exit code with stdout and stderr together, whether it succeeded
 * or not (tests assert on failures too). A command still running after CLI_CALL_TIMEOUT_MS is
 * killed and the call throws, naming it.
 */
export async function keelCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [KEEL_BIN, ...args], {
      env,
      timeout: CLI_CALL_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 2 ** 20,
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const failure = error as {
      code?: number | string;
      killed?: boolean;
      stdout?: string;
      stderr?: string;
    };
    if (failure.killed || typeof failure.code !== 'number') {
      throw new Error(
        `keel ${args.join(' ')} did not finish within ${CLI_CALL_TIMEOUT_MS / 1000} s: ${failure.stderr ?? ''}`,
      );
    }
    return { code: failure.code, out: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

/** Runs one `keel …` command to completion and returns its stdout; throws with stderr on failure. */
export async function runKeel(
  args: string[],
  env: Record<string, string>,
  timeoutMs = CLI_CALL_TIMEOUT_MS,
): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [KEEL_BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`keel ${args.join(' ')} failed: ${failure.stderr || failure.message}`);
  }
}

export interface KeelProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr interleaved), for failure reports. */
  output(): string;
  /** True while the OS process has not exited. */
  alive(): boolean;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<string>;
  /** SIGTERM (graceful) or SIGKILL (a crash), then waits for the exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<string>;
}

const MAX_OUTPUT = 200_000;

/**
 * Starts `node bin/keel.js ARGS` as its own OS process with `env` on top of the current one.
 * Output is kept in memory (the tail of it), so a test can show what a process said before it
 * failed, and `nodeOptions` lets a benchmark add `--cpu-prof`.
 *
 * @example
 *   const api = startKeel('api', ['api'], { PORT: '9100', KEEL_DATA_DIR: dir });
 *   await waitForHttp('http://127.0.0.1:9100/health/live', { process: api });
 */
export function startKeel(
  name: string,
  args: string[],
  env: Record<string, string>,
  options: { nodeOptions?: string[] } = {},
): KeelProcess {
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), KEEL_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let running = true;
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve(signal ?? String(code));
    });
  });
  return {
    name,
    child,
    output: () => output,
    alive: () => running,
    exited,
    async stop(signal = 'SIGTERM') {
      if (running) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Polls `url` until it answers 200, failing early (with the process's output) if `process`
 * exits first, and after `timeoutMs` otherwise.
 */
export async function waitForHttp(
  url: string,
  options: { process?: KeelProcess; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (options.process && !options.process.alive()) {
      throw new Error(
        `${options.process.name} exited before ${url} answered:\n${options.process.output()}`,
      );
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) {
      const said = options.process ? `\n${options.process.output().slice(-4_000)}` : '';
      throw new Error(`${url} did not answer 200 in time${said}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until `process` has printed `text` (a process without a port, e.g. `keel worker`). */
export async function waitForOutput(
  process: KeelProcess,
  text: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!process.output().includes(text)) {
    if (!process.alive()) throw new Error(`${process.name} exited:\n${process.output()}`);
    if (Date.now() > deadline)
      throw new Error(`${process.name} did not print "${text}" in time:\n${process.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates a user with the CLI and returns a new API key of theirs (the CLI prints it once). */
export async function createApiKey(
  env: Record<string, string>,
  options: { email: string; role?: 'admin' | 'manager' | 'user'; scopes: string },
): Promise<string> {
  const withPassword = { ...env, KEEL_USER_PASSWORD: 'a sturdy benchmark passphrase' };
  await runKeel(
    ['user', 'create', '--email', options.email, '--role', options.role ?? 'user'],
    withPassword,
  );
  const printed = await runKeel(
    ['apikey', 'create', '--email', options.email, '--name', 'e2e', '--scopes', options.scopes],
    env,
  );
  const key = /\b(keel_[A-Za-z0-9_-]+)/.exec(printed.split('\n').slice(1).join('\n'))?.[1];
  if (!key) throw new Error(`no API key in: ${printed}`);
  return key;
}
