import pg from 'pg';
import pino from 'pino';
import { parseApiKey } from '../src/auth/api-key-format.js';
import { loadConfig } from '../src/config/config.js';
import { auditSigner } from '../src/governor/steps/audit.js';
import { openKeel, syncBundledKnowledge } from '../src/keel.js';
import { queryTerms } from '../src/search/query-terms.js';
import { DEFAULT_WORKSPACE } from '../src/store/store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { prepareKeel, serverStorage } from './gateway-deploy.js';
import { QUESTIONS } from './gateway-load.js';
import { isEntryPoint, newWorkDir, option, removeWorkDir } from './harness.js';
import { startCpuMeter } from './process-cpu.js';

/*
 * The database work of one governed chat call, repeated without HTTP, the governor or the
 * upstream: the API key with its owner, the quota reservation, the source list, the lexical
 * search and its chunk reads, the audit append and the usage settle — the statements
 * `profile-chat.ts` counts per call, one call after another (one client). Prints this process's
 * CPU ms per call and, on PostgreSQL, its backends' CPU ms per call:
 *   node bin/run-ts.js bench/chat-queries.ts [--storage sqlite|postgres] [--calls 2000]
 */

export async function chatQueries(options: { storage: 'sqlite' | 'postgres'; calls: number }) {
  const workDir = await newWorkDir('chat-queries');
  const { db, redis } = await serverStorage(options.storage);
  const { env, key } = await prepareKeel({
    workDir,
    upstreamUrl: 'http://127.0.0.1:9',
    databaseUrl: db?.url,
    redisUrl: redis,
    nodeOptions: () => [],
  });
  const config = loadConfig({ env: { ...env, PORT: '0' }, file: '/nonexistent' });
  const keel = await openKeel(config, {
    logger: createLogger('warn', pino.destination('/dev/null')),
  });
  const monitor = db ? new pg.Client({ connectionString: db.url }) : undefined;
  try {
    await syncBundledKnowledge(keel);
    await monitor?.connect();
    const { store } = keel;
    const prefix = parseApiKey(key)?.prefix ?? '';
    const sign = auditSigner(env.KEEL_SECRET);
    const limits = [
      { scope: 'user' as const, period: 'day' as const, metric: 'calls' as const, limit: 1e9 },
    ];
    const call = async (index: number) => {
      const apiKey = await store.accounts.findApiKeyByPrefix(prefix);
      if (!apiKey) throw new Error(`no API key with prefix ${prefix}`);
      const createdAt = new Date().toISOString();
      const since = `${createdAt.slice(0, 10)}T00:00:00.000Z`;
      const reserved = await store.usage.reserve(
        {
          workspaceId: DEFAULT_WORKSPACE,
          userId: apiKey.userId,
          apiKeyId: apiKey.id,
          traceId: `trace-${index}`,
          createdAt,
        },
        limits.map((limit) => ({ ...limit, since })),
      );
      if (!reserved.ok) throw new Error('quota refused');
      const sources = await store.listSources(DEFAULT_WORKSPACE);
      const question = `${QUESTIONS[index % QUESTIONS.length]} ref ${index}`;
      const hits = await store.lexicalSearch(queryTerms(question), {
        k: 100,
        sourceIds: sources.map((source) => source.id),
      });
      const chunks = await store.getChunks(hits.map((hit) => hit.chunkId));
      const known = new Set(chunks.map((chunk) => chunk.id));
      const neighbours = chunks
        .slice(0, 8)
        .flatMap((chunk) => [chunk.id - 1, chunk.id + 1])
        .filter((id) => !known.has(id));
      await store.getChunks([...new Set(neighbours)]);
      await store.appendAudit(
        {
          traceId: `trace-${index}`,
          workspaceId: DEFAULT_WORKSPACE,
          createdAt,
          kind: 'chat',
          policyVersion: 'bench',
          promptVersion: null,
          agent: 'default',
          provider: 'openai',
          model: 'bench',
          knowledgeVersions: Object.fromEntries(sources.map((source) => [source.name, 'v1'])),
          inputTokens: 100,
          outputTokens: 20,
          latencyMs: 30,
          decision: 'allowed',
          steps: [],
        },
        sign,
      );
      await store.usage.settle(reserved.id, {
        provider: 'openai',
        model: 'bench',
        inputTokens: 100,
        outputTokens: 20,
        cost: 0.0001,
      });
    };
    for (let index = 0; index < 200; index += 1) await call(index);
    const backends = monitor
      ? async () => {
          const { rows } = await monitor.query<{ pid: number }>(
            'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [new URL(db!.url).pathname.slice(1)],
          );
          return rows.map((row) => row.pid);
        }
      : undefined;
    const postgres = backends ? startCpuMeter(backends, 200) : undefined;
    const before = process.cpuUsage();
    for (let index = 200; index < 200 + options.calls; index += 1) await call(index);
    const cpu = process.cpuUsage(before);
    const postgresCpu = await postgres?.stop();
    const ownMs = (cpu.user + cpu.system) / 1000 / options.calls;
    console.log(
      `${options.storage}: ${options.calls} calls, this process ${ownMs.toFixed(3)} ms/call` +
        (postgresCpu
          ? `, PostgreSQL ${(postgresCpu.cpuMs / options.calls).toFixed(3)} ms/call`
          : ''),
    );
    return { ownMs, postgresMs: postgresCpu && postgresCpu.cpuMs / options.calls };
  } finally {
    await monitor?.end();
    await keel.close();
    await db?.drop();
    await removeWorkDir(workDir);
  }
}

if (isEntryPoint(import.meta.url)) {
  await chatQueries({
    storage: option('--storage', 'sqlite') === 'postgres' ? 'postgres' : 'sqlite',
    calls: Number(option('--calls', '2000')),
  });
}
