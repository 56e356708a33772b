import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './keel-process.js';

/*
 * A PostgreSQL cluster and a Redis server of one test's own, on free ports with their data in a
 * temp folder, so a test may stop, kill and restart them while the other test files (running in
 * parallel against the shared services on 5432 and 6379) never notice.
 */

const run = promisify(execFile);
/**
 * The folder holding `initdb` and `pg_ctl`, whichever PostgreSQL version is installed:
 * KEEL_TEST_POSTGRES_BIN, else what `pg_config --bindir` says, else the newest Debian
 * `/usr/lib/postgresql/<version>/bin` that has `initdb`.
 */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KEEL_TEST_POSTGRES_BIN) return env.KEEL_TEST_POSTGRES_BIN;
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(bindir, 'initdb'))) return bindir;
  } catch {
    // No pg_config on the PATH (Debian puts it in the -dev package): look in the usual place.
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((left, right) => Number(right) - Number(left))[0];
  return newest ? join(root, newest, 'bin') : undefined;
}

export const POSTGRES_BIN = findPostgresBin() ?? '/usr/lib/postgresql/bin-not-found';
export const REDIS_SERVER = process.env.KEEL_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';

/** Whether this machine can run private services (the binaries CI installs). */
export const privateServicesAvailable =
  existsSync(join(POSTGRES_BIN, 'initdb')) && existsSync(REDIS_SERVER);

/** PostgreSQL refuses to run as root; as root, run its tools as the `postgres` account. */
async function asPostgres(binary: string, args: string[]): Promise<void> {
  const path = join(POSTGRES_BIN, binary);
  if (userInfo().uid === 0) await run('runuser', ['-u', 'postgres', '--', path, ...args]);
  else await run(path, args);
}

export interface PrivateService {
  url: string;
  start(): Promise<void>;
  /** `fast`: clean shutdown; `immediate`: as a crash (PostgreSQL recovers from its WAL). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A fresh cluster (trust auth, loopback only) with database `keel` and pgvector installed.
 * fsync stays on: a restart must keep every committed row, as in production.
 */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const root = await mkdtemp(join(tmpdir(), 'keel-pg-'));
  const dataDir = join(root, 'data');
  if (userInfo().uid === 0) await chown(root, ...(await postgresIds()));
  await chmod(root, 0o700);
  await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const url = `postgres://postgres@127.0.0.1:${port}/keel`;
  const service: PrivateService = {
    url,
    start: () =>
      asPostgres('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(root, 'log'), '-w', 'start']),
    stop: (mode = 'fast') => asPostgres('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']),
    async destroy() {
      await service.stop('immediate').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  await service.start();
  const admin = new pg.Client({ connectionString: url.replace(/\/keel$/, '/postgres') });
  await admin.connect();
  await admin.query('create database keel');
  await admin.end();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('create extension if not exists vector');
  await client.end();
  return service;
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return [Number(stdout.trim()), Number(group.trim())];
}

/**
 * A Redis with an append-only file fsynced on every write: what a BullMQ deployment needs for
 * "acknowledged means never lost" to survive a Redis restart. `stop` is `SHUTDOWN NOSAVE` (no
 * snapshot; the AOF already holds every write), or a SIGKILL-like crash with `immediate`.
 */
export async function startPrivateRedis(): Promise<PrivateService> {
  const dir = await mkdtemp(join(tmpdir(), 'keel-redis-'));
  const port = await freePort();
  const cli = (...args: string[]) => run('redis-cli', ['-p', String(port), ...args]);
  const service: PrivateService = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      await run(REDIS_SERVER, [
        ...['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'yes'],
        ...['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
        ...['--logfile', join(dir, 'redis.log'), '--pidfile', join(dir, 'redis.pid')],
      ]);
      for (let attempt = 0; attempt < 100; attempt += 1) {
        if (
          await cli('ping').then(
            ({ stdout }) => stdout.includes('PONG'),
            () => false,
          )
        )
          return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`private redis on ${port} did not start`);
    },
    async stop(mode = 'fast') {
      if (mode === 'immediate') await cli('debug', 'segfault').catch(() => undefined);
      else await cli('shutdown', 'nosave').catch(() => undefined);
      for (let attempt = 0; attempt < 100; attempt += 1) {
        if (
          !(await cli('ping').then(
            () => true,
            () => false,
          ))
        )
          return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`private redis on ${port} did not stop`);
    },
    async destroy() {
      await service.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}
