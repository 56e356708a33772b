import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config/config.js';
import { openKeel, syncBundledKnowledge } from '../src/keel.js';
import { createLogger } from '../src/telemetry/logger.js';
import { summarizeProfile } from './cpu-profile-summary.js';
import { prepareKeel, serverStorage } from './gateway-deploy.js';
import { gatewayLoad } from './gateway-load.js';
import { startUpstreamProcess } from './gateway-upstream.js';
import { isEntryPoint, newWorkDir, option, removeWorkDir } from './harness.js';

/*
 * Where a governed chat call's CPU goes. The API (governor in process, as `keel serve` runs it)
 * listens in this process, configured as the Portkey comparison configures it; the load
 * generator and the mock upstream run in their own processes, so only Keel's CPU is counted (as
 * versus-portkey.ts counts it). After a warm-up the V8 profiler records `--requests` calls and
 * the profile is summarized by piece (database, retrieval, governor steps, HTTP, …):
 *   node bin/run-ts.js bench/profile-chat.ts [--storage sqlite|postgres] [--requests 600]
 * The `.cpuprofile` is kept (path printed) for Chrome DevTools or speedscope.
 */

export async function profileChat(options: {
  storage: 'sqlite' | 'postgres';
  requests: number;
  concurrency: number;
}) {
  const workDir = await newWorkDir('profile-chat');
  const upstream = await startUpstreamProcess(25);
  const { db, redis } = await serverStorage(options.storage);
  const { env, key } = await prepareKeel({
    workDir,
    upstreamUrl: upstream.url,
    databaseUrl: db?.url,
    redisUrl: redis,
    nodeOptions: () => [],
  });
  const config = loadConfig({ env: { ...env, PORT: '0' }, file: '/nonexistent' });
  // Logged as in production (level and fields), written nowhere.
  const logger = createLogger(config.logLevel, pino.destination('/dev/null'));
  const keel = await openKeel(config, { logger });
  const session = new Session();
  try {
    await syncBundledKnowledge(keel);
    const app = await buildApp(keel);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const load = (requests: number) =>
      gatewayLoad({
        target: 'keel',
        url: address,
        key,
        concurrency: options.concurrency,
        requests,
      });
    await load(300);
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const cpuBefore = process.cpuUsage();
    const level = await load(options.requests);
    const cpu = process.cpuUsage(cpuBefore);
    const { profile } = await session.post('Profiler.stop');
    const file = join(workDir, `chat-${options.storage}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    await app.close();
    // The load generator's warm-up calls run inside the profile too.
    const calls = options.requests + Math.max(30, 3 * options.concurrency);
    const cpuMsPerCall = (cpu.user + cpu.system) / 1000 / calls;
    const summary = await summarizeProfile(file);
    console.log(
      `${options.storage}: ${calls} calls at ${options.concurrency} clients, ${level.requestsPerSecond} req/s, ` +
        `process CPU ${cpuMsPerCall.toFixed(2)} ms/call, statuses ${JSON.stringify(level.status)}`,
    );
    console.log('piece\tms/call\tshare');
    for (const piece of summary.pieces) {
      console.log(
        `${piece.piece}\t${(piece.ms / calls).toFixed(2)}\t${(piece.share * 100).toFixed(1)} %`,
      );
    }
    console.log(`profile: ${file}`);
    return { cpuMsPerCall, summary, file };
  } catch (error) {
    await removeWorkDir(workDir);
    throw error;
  } finally {
    session.disconnect();
    await keel.close();
    await upstream.close();
    await db?.drop();
  }
}

if (isEntryPoint(import.meta.url)) {
  await profileChat({
    storage: option('--storage', 'sqlite') === 'postgres' ? 'postgres' : 'sqlite',
    requests: Number(option('--requests', '600')),
    concurrency: Number(option('--concurrency', '16')),
  });
}
