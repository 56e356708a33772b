import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { KeelError, UpstreamError } from '../errors.js';
import { type LibpqConnection, withoutSecrets } from './postgres-connection.js';

export type PostgresTool = 'pg_dump' | 'pg_restore';

export interface PostgresToolOptions {
  /** Folder holding pg_dump and pg_restore; default: found on `PATH`. */
  binDir?: string | undefined;
  /** The database to talk to; absent for `pg_restore --list`, which reads only the file. */
  connection?: LibpqConnection;
}

/** Standard error kept for the message: enough for libpq's and pg_restore's explanations. */
const MAX_STDERR = 8 * 1024;

function missingTool(tool: PostgresTool): KeelError {
  return new KeelError(
    `${tool}_missing`,
    `${tool} was not found; install the PostgreSQL client tools (version 15 or newer, matching the ` +
      'server: e.g. `apt-get install postgresql-client`) and put them on PATH',
    500,
    { tool },
  );
}

/**
 * Runs pg_dump or pg_restore. Standard output is handed over as a stream that ends only once the
 * tool has exited with status 0; on any other status it is destroyed with an `UpstreamError`
 * carrying the tool's standard error (passwords removed), so a consumer such as a blob upload
 * fails too instead of keeping a truncated dump.
 */
export function runPostgresTool(
  tool: PostgresTool,
  args: string[],
  options: PostgresToolOptions = {},
): { stdout: Readable; done: Promise<void>; stop(): void } {
  const secrets = options.connection?.secrets ?? [];
  const child = spawn(options.binDir ? join(options.binDir, tool) : tool, args, {
    // `--no-password` in args keeps a missing password from waiting forever at a prompt.
    env: { ...process.env, ...options.connection?.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new PassThrough();
  child.stdout.pipe(stdout, { end: false });
  // A failure may destroy `stdout` before anyone reads it; whoever reads later still sees the
  // error (a destroyed stream rejects its iterator), but an unheard 'error' would crash Keel.
  stdout.on('error', () => undefined);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < MAX_STDERR) stderr += chunk;
  });
  const done = new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      stdout.destroy(error);
      reject(error);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'ENOENT' ? missingTool(tool) : error);
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        stdout.end();
        resolve();
        return;
      }
      const reason = withoutSecrets(stderr.trim(), secrets) || `exit ${code ?? signal}`;
      fail(
        new UpstreamError(
          `${tool}_failed`,
          `${tool} failed: ${reason}`,
          { tool, exitCode: code },
          false,
        ),
      );
    });
  });
  // The caller awaits `done` or the stream; neither may surface as an unhandled rejection.
  done.catch(() => undefined);
  return {
    stdout,
    done,
    // For a consumer that failed: the tool would otherwise block forever on a full pipe.
    stop: () => child.kill(),
  };
}

/** Runs a tool whose output is a short text (pg_restore --list, a restore's notices). */
export async function runPostgresToolForText(
  tool: PostgresTool,
  args: string[],
  options: PostgresToolOptions = {},
): Promise<string> {
  const { stdout, done } = runPostgresTool(tool, args, options);
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  await done;
  return Buffer.concat(chunks).toString('utf8');
}
