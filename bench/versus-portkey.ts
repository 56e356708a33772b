import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../test/helpers/keel-process.js';
import { database, deploy, deploySingle, redisUrl, usedPostgres } from './gateway-deploy.js';
import { type GatewayLevel, type Target, gatewayLoad, warmUpCalls } from './gateway-load.js';
import { startUpstream } from './gateway-upstream.js';
import { isEntryPoint, newWorkDir, option, removeWorkDir, writeResult } from './harness.js';
import { PORTKEY_VERSION, installPortkey, startPortkey } from './portkey-gateway.js';
import { type CpuReading, loadAverage, startCpuMeter } from './process-cpu.js';

/*
 * Keel's governed `POST /v1/chat` beside Portkey's open-source gateway proxying the same call, in
 * one run, against one local OpenAI-compatible upstream that answers after 25 ms:
 *   node bin/run-ts.js bench/versus-portkey.ts [--rounds 3] [--scale 1] [--cpu-prof]
 * Keel runs as the single process (`keel serve`, SQLite) and in server mode (`keel api` →
 * `keel orchestrator`, PostgreSQL + Redis), with sign-in and an API key, rate limit, quota,
 * the default policy, retrieval over the bundled docs, output checks, the audit chain and the
 * usage record. Every question is new, so the answer cache never answers. CPU per call is read
 * from each server process's own CPU time (/proc), warm-up calls included on both sides;
 * PostgreSQL's backends serving Keel are read too and shown on their own. Rounds interleave the
 * gateways (the order rotates), so load from other work on the machine falls on all of them.
 */

const LEVELS = [
  { concurrency: 1, requests: 150 },
  { concurrency: 16, requests: 600 },
  { concurrency: 64, requests: 1_000 },
];

type Gateway = 'portkey' | 'keel-sqlite' | 'keel-server';
const GATEWAYS: Gateway[] = ['portkey', 'keel-sqlite', 'keel-server'];
const KEEL_GATEWAYS: Gateway[] = ['keel-sqlite', 'keel-server'];

interface Run {
  round: number;
  gateway: Gateway | 'upstream';
  concurrency: number;
  level: GatewayLevel;
  cpuMsPerCall: number;
  /** PostgreSQL backends' CPU per call (server mode only). */
  postgresCpuMsPerCall?: number;
  machineBusy: number;
}

interface Spread {
  min: number;
  median: number;
  max: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

function spread(values: number[]): Spread {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: round2(sorted[0] ?? 0), median: round2(median), max: round2(sorted.at(-1) ?? 0) };
}

const show = (value: Spread) => `${value.median} (${value.min}–${value.max})`;

/** PIDs of the PostgreSQL backends connected to `databaseName`, except the asking one. */
function postgresBackends(client: pg.Client, databaseName: string) {
  return async () => {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [databaseName],
    );
    return rows.map((row) => row.pid);
  };
}

function printSummary(runs: Run[], rounds: number) {
  const line = (cells: (string | number)[]) => console.log(cells.map(String).join('\t'));
  const pick = (gateway: Run['gateway'], concurrency: number) =>
    runs.filter((run) => run.gateway === gateway && run.concurrency === concurrency);
  const byRound = (gateway: Run['gateway'], concurrency: number, round: number) =>
    runs.find(
      (run) => run.gateway === gateway && run.concurrency === concurrency && run.round === round,
    )!;
  console.log(`\nmedian (min–max) over ${rounds} interleaved rounds`);
  line([
    'clients',
    'gateway',
    'CPU ms/call',
    'PostgreSQL ms/call',
    'req/s',
    'p50 ms',
    'p99 ms',
    'added p50',
    'added p99',
    'statuses',
  ]);
  const summary: Record<string, unknown>[] = [];
  for (const { concurrency } of LEVELS) {
    for (const gateway of ['upstream', ...GATEWAYS] as const) {
      const own = pick(gateway, concurrency);
      const added = (percentile: 'p50' | 'p99') =>
        spread(
          own.map(
            (run) =>
              run.level.latencyMs[percentile] -
              byRound('upstream', concurrency, run.round).level.latencyMs[percentile],
          ),
        );
      const statuses: Record<string, number> = {};
      for (const run of own)
        for (const [status, count] of Object.entries(run.level.status))
          statuses[status] = (statuses[status] ?? 0) + count;
      const row = {
        concurrency,
        gateway,
        cpuMsPerCall: spread(own.map((run) => run.cpuMsPerCall)),
        postgresCpuMsPerCall:
          gateway === 'keel-server'
            ? spread(own.map((run) => run.postgresCpuMsPerCall ?? 0))
            : undefined,
        requestsPerSecond: spread(own.map((run) => run.level.requestsPerSecond)),
        p50: spread(own.map((run) => run.level.latencyMs.p50)),
        p99: spread(own.map((run) => run.level.latencyMs.p99)),
        addedP50: gateway === 'upstream' ? undefined : added('p50'),
        addedP99: gateway === 'upstream' ? undefined : added('p99'),
        statuses,
      };
      summary.push(row);
      line([
        concurrency,
        gateway,
        gateway === 'upstream' ? '' : show(row.cpuMsPerCall),
        row.postgresCpuMsPerCall ? show(row.postgresCpuMsPerCall) : '',
        show(row.requestsPerSecond),
        row.p50.median,
        row.p99.median,
        row.addedP50 ? show(row.addedP50) : '',
        row.addedP99 ? show(row.addedP99) : '',
        JSON.stringify(statuses),
      ]);
    }
  }
  console.log('\nKeel ÷ Portkey, per round, then min / median / max (CPU: lower is better)');
  line(['clients', 'keel', 'CPU/call', 'CPU/call incl. PostgreSQL', 'req/s']);
  const ratios: Record<string, unknown>[] = [];
  for (const { concurrency } of LEVELS) {
    for (const gateway of KEEL_GATEWAYS) {
      const perRound = (value: (run: Run) => number) =>
        spread(
          Array.from({ length: rounds }, (_, index) => {
            const portkey = byRound('portkey', concurrency, index + 1);
            return value(byRound(gateway, concurrency, index + 1)) / value(portkey);
          }),
        );
      const row = {
        concurrency,
        gateway,
        cpuPerCall: perRound((run) => run.cpuMsPerCall),
        cpuPerCallWithPostgres: perRound(
          (run) => run.cpuMsPerCall + (run.postgresCpuMsPerCall ?? 0),
        ),
        requestsPerSecond: perRound((run) => run.level.requestsPerSecond),
      };
      ratios.push(row);
      const format = (value: Spread) => `${value.min} / ${value.median} / ${value.max}`;
      line([
        concurrency,
        gateway,
        format(row.cpuPerCall),
        gateway === 'keel-server' ? format(row.cpuPerCallWithPostgres) : '',
        format(row.requestsPerSecond),
      ]);
    }
  }
  return { summary, ratios };
}

export async function runVersusPortkey(options: {
  rounds: number;
  scale: number;
  latencyMs: number;
  cpuProfile: boolean;
}) {
  const entry = await installPortkey();
  const workDir = await newWorkDir('versus-portkey');
  const profileDir = join(workDir, 'profiles');
  const nodeOptions = (name: string) =>
    options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, name)] : [];
  const upstream = await startUpstream(options.latencyMs);
  const db = await database();
  if (!db) throw new Error('server mode needs PostgreSQL (npm run services)');
  const redis = await redisUrl();
  if (!redis) throw new Error('server mode needs Redis (npm run services)');
  const monitor = new pg.Client({ connectionString: db.url });
  await monitor.connect();
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const portkey = await startPortkey(entry, await freePort());
    stops.push(() => portkey.stop());
    const single = await deploySingle({
      workDir: join(workDir, 'single'),
      upstreamUrl: upstream.url,
      nodeOptions,
    });
    stops.push(() => single.process.stop('SIGTERM'));
    const server = await deploy({
      workDir: join(workDir, 'server'),
      upstreamUrl: upstream.url,
      databaseUrl: db.url,
      redisUrl: redis,
      nodeOptions,
      inProcessApi: false,
    });
    for (const process of server.processes) stops.push(() => process.stop('SIGTERM'));
    if (!(await usedPostgres(db))) throw new Error('server mode did not store into PostgreSQL');
    const pidsOf = (gateway: Gateway): number[] => {
      const processes =
        gateway === 'portkey'
          ? [portkey.child]
          : gateway === 'keel-sqlite'
            ? [single.process.child]
            : server.processes.map((process) => process.child);
      return processes.map((child) => child.pid!);
    };
    const destination = (gateway: Gateway | 'upstream') => {
      if (gateway === 'upstream') return { target: 'upstream' as Target, url: upstream.url };
      if (gateway === 'portkey')
        return { target: 'portkey' as Target, url: portkey.url, upstreamUrl: upstream.url };
      const url = gateway === 'keel-sqlite' ? single.url : server.urls.keel;
      return {
        target: 'keel' as Target,
        url,
        key: gateway === 'keel-sqlite' ? single.key : server.key,
      };
    };
    const backends = postgresBackends(monitor, new URL(db.url).pathname.slice(1));
    // The JIT compiles each server's hot path during its first few hundred calls; none of that
    // belongs to a round.
    for (const gateway of GATEWAYS) {
      const requests = Math.max(100, Math.round(400 * options.scale));
      await gatewayLoad({ ...destination(gateway), concurrency: 16, requests });
    }
    const runs: Run[] = [];
    const loads: { round: number; loadAverageBefore: number; loadAverageAfter: number }[] = [];
    for (let round = 1; round <= options.rounds; round += 1) {
      const loadAverageBefore = loadAverage();
      for (const level of LEVELS) {
        const requests = Math.max(30, Math.round(level.requests * options.scale));
        const calls = requests + warmUpCalls(level.concurrency);
        // Rotate who goes first so no gateway always runs right after the same neighbour.
        const order = GATEWAYS.map((_, index) => GATEWAYS[(index + round - 1) % GATEWAYS.length]!);
        for (const gateway of ['upstream', ...order] as const) {
          const meter = startCpuMeter(async () => (gateway === 'upstream' ? [] : pidsOf(gateway)));
          const postgres = gateway === 'keel-server' ? startCpuMeter(backends) : undefined;
          const result = await gatewayLoad({
            ...destination(gateway),
            concurrency: level.concurrency,
            requests,
          });
          const reading: CpuReading = await meter.stop();
          const postgresReading = await postgres?.stop();
          runs.push({
            round,
            gateway,
            concurrency: level.concurrency,
            level: result,
            cpuMsPerCall: round2(reading.cpuMs / calls),
            ...(postgresReading && {
              postgresCpuMsPerCall: round2(postgresReading.cpuMs / calls),
            }),
            machineBusy: round2(reading.machineBusy),
          });
        }
        console.error(`round ${round}: ${level.concurrency} clients done`);
      }
      loads.push({ round, loadAverageBefore, loadAverageAfter: loadAverage() });
    }
    const { summary, ratios } = printSummary(runs, options.rounds);
    const busy = spread(runs.map((run) => run.machineBusy * 100));
    console.log(
      `\nmachine: 1-min load average ${loads.map((load) => `${load.loadAverageBefore}→${load.loadAverageAfter}`).join(', ')} per round; ` +
        `all cores busy ${show(busy)} % during the runs (everyone's work)`,
    );
    if (options.scale !== 1) return;
    const path = await writeResult('versus-portkey', {
      command: `node bin/run-ts.js bench/versus-portkey.ts --rounds ${options.rounds}`,
      portkey: `@portkey-ai/gateway ${PORTKEY_VERSION}`,
      upstreamLatencyMs: options.latencyMs,
      answerCache: 'on, never hit: every message is unique',
      loads,
      summary,
      ratios,
      runs: runs.map(({ level, ...run }) => ({
        ...run,
        requestsPerSecond: level.requestsPerSecond,
        latencyMs: level.latencyMs,
        status: level.status,
        outcomes: level.outcomes,
      })),
    });
    console.log(`wrote ${path}`);
  } finally {
    for (const stop of stops.reverse()) await stop();
    await monitor.end();
    await upstream.close();
    await db.drop();
    if (options.cpuProfile) console.log(`CPU profiles kept in ${profileDir}`);
    else await removeWorkDir(workDir);
  }
}

if (isEntryPoint(import.meta.url)) {
  await runVersusPortkey({
    rounds: Number(option('--rounds', '3')),
    scale: Number(option('--scale', '1')),
    latencyMs: Number(option('--latency-ms', '25')),
    cpuProfile: process.argv.includes('--cpu-prof'),
  });
}
