import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { breakdown } from './gateway-breakdown.js';
import { type Deployment, database, deploy, redisUrl, usedPostgres } from './gateway-deploy.js';
import { type GatewayLevel, type Target, gatewayLoad } from './gateway-load.js';
import { startUpstream } from './gateway-upstream.js';
import { isEntryPoint, newWorkDir, option, removeWorkDir, writeResult } from './harness.js';

/*
 * What Keel adds on top of the model call. A local OpenAI-compatible upstream answers after a
 * fixed delay; the same question is timed (a) straight to the upstream and (b) as `POST /v1/chat`
 * through `keel api` → `keel orchestrator` → upstream, each a separate OS process, with sign-in,
 * an API key, rate limits, quotas, the policy checks and the audit record all running. Also (c)
 * `keel api` with the governor in process, which splits the added time into "the governor and
 * API" and "the api → orchestrator hop". Added = (b or c) − (a), at p50 and p99.
 *   node bin/run-ts.js bench/gateway.ts [--latency-ms 25] [--cpu-prof]
 */

const LEVELS = [
  { concurrency: 1, requests: 400 },
  { concurrency: 16, requests: 1_200 },
  { concurrency: 64, requests: 2_000 },
];
/** Published median overhead of other gateways, for scale (their own machines and setups). */
const ANCHORS = { portkeyMs: 2.4, litellmMs: 4.3 };

interface Row {
  concurrency: number;
  upstream: GatewayLevel;
  split: GatewayLevel;
  inProcess: GatewayLevel;
}

const added = (level: GatewayLevel, base: GatewayLevel) => ({
  p50: Math.round((level.latencyMs.p50 - base.latencyMs.p50) * 100) / 100,
  p99: Math.round((level.latencyMs.p99 - base.latencyMs.p99) * 100) / 100,
});

function printTable(rows: Row[]): void {
  const line = (cells: (string | number)[]) => console.log(cells.map(String).join('\t'));
  line(['clients', 'path', 'p50 ms', 'p99 ms', 'req/s', 'added p50', 'added p99', 'statuses']);
  for (const row of rows) {
    for (const [name, level] of [
      ['upstream direct', row.upstream],
      ['api → orchestrator', row.split],
      ['api, governor in process', row.inProcess],
    ] as const) {
      const extra = level === row.upstream ? { p50: '', p99: '' } : added(level, row.upstream);
      line([
        row.concurrency,
        name,
        level.latencyMs.p50,
        level.latencyMs.p99,
        level.requestsPerSecond,
        extra.p50,
        extra.p99,
        JSON.stringify(level.status),
      ]);
    }
  }
  console.log(
    `anchors (median added): Portkey ≈ ${ANCHORS.portkeyMs} ms, LiteLLM ≈ ${ANCHORS.litellmMs} ms`,
  );
}

export async function runGateway(options: {
  latencyMs: number;
  cpuProfile: boolean;
  /** Keep the work folder with each process's log (and profiles); implied by cpuProfile. */
  keep: boolean;
  /** Multiplies the request counts (0.25 for a quick look). */
  scale: number;
}) {
  const workDir = await newWorkDir('gateway');
  const upstream = await startUpstream(options.latencyMs);
  const db = await database();
  const redis = await redisUrl();
  const profileDir = join(workDir, 'profiles');
  let deployment: Deployment | undefined;
  try {
    deployment = await deploy({
      workDir,
      upstreamUrl: upstream.url,
      databaseUrl: db?.url,
      redisUrl: redis,
      nodeOptions: (name) =>
        options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, name)] : [],
    });
    const { urls, key } = deployment;
    const rows: Row[] = [];
    for (const level of LEVELS) {
      const requests = Math.max(50, Math.round(level.requests * options.scale));
      const run = (target: Target, url: string) =>
        gatewayLoad({ target, url, key, concurrency: level.concurrency, requests });
      const upstreamLevel = await run('upstream', upstream.url);
      const split = await run('keel', urls.keel);
      const inProcess = await run('keel', urls.inprocess);
      rows.push({ concurrency: level.concurrency, upstream: upstreamLevel, split, inProcess });
      console.error(`${level.concurrency} clients done`);
    }
    printTable(rows);
    const pieces = await breakdown(
      deployment.env,
      key,
      Math.max(30, Math.round(200 * options.scale)),
    );
    console.log('\nin process, 1 client (ms):\tp50\tp99');
    for (const [name, summary] of Object.entries(pieces))
      console.log(`${name}\t${summary.p50}\t${summary.p99}`);
    // A scaled-down run is a quick look, not a figure to keep.
    if (options.scale !== 1) return;
    const path = await writeResult('gateway', {
      command: `node bin/run-ts.js bench/gateway.ts${options.cpuProfile ? ' --cpu-prof' : ''}`,
      upstreamLatencyMs: options.latencyMs,
      storage: (await usedPostgres(db)) ? 'postgresql (DATABASE_URL)' : 'sqlite (shared file)',
      redis: redis ? 'redis (REDIS_URL)' : 'in-process',
      answerCache: 'on, never hit: every message is unique',
      anchorsMedianAddedMs: ANCHORS,
      breakdownInProcessMs: pieces,
      levels: rows.map((row) => ({
        ...row,
        addedMs: {
          split: added(row.split, row.upstream),
          inProcess: added(row.inProcess, row.upstream),
        },
      })),
    });
    console.log(`wrote ${path}`);
  } finally {
    const processes = deployment?.processes ?? [];
    await Promise.all(processes.map((process) => process.stop('SIGTERM')));
    await upstream.close();
    await db?.drop();
    if (options.keep || options.cpuProfile) {
      for (const process of processes)
        await writeFile(join(workDir, `${process.name}.log`), process.output());
      console.log(`logs${options.cpuProfile ? ' and CPU profiles' : ''} kept in ${workDir}`);
    } else await removeWorkDir(workDir);
  }
}

if (isEntryPoint(import.meta.url)) {
  await runGateway({
    latencyMs: Number(option('--latency-ms', '25')),
    cpuProfile: process.argv.includes('--cpu-prof'),
    keep: process.argv.includes('--keep'),
    scale: Number(option('--scale', '1')),
  });
}
