import { join } from 'node:path';
import type { Logger } from 'pino';
import { AccountService } from './auth/accounts.js';
import { ApiKeyService } from './auth/api-keys.js';
import { createPasswordHasher } from './auth/passwords.js';
import { loadSigningKeys } from './auth/signing-keys.js';
import { type TokenService, createTokenService } from './auth/tokens.js';
import type { Config } from './config/config.js';
import { ValidationError } from './errors.js';
import { type LoginGuard, createLoginGuard } from './limits/login-guard.js';
import { DEFAULT_PRICES, costOf } from './limits/prices.js';
import { QuotaService } from './limits/quotas.js';
import type { RateLimiter } from './limits/rate-limiter.js';
import { createMemoryRateLimiter } from './limits/rate-limiter-memory.js';
import { createRedisRateLimiter } from './limits/rate-limiter-redis.js';
import type { Cache } from './cache/cache.js';
import { createMemoryCache } from './cache/cache-memory.js';
import { createRedisCache } from './cache/cache-redis.js';
import { countLookups } from './cache/counted-cache.js';
import type { PubSub } from './events/pubsub.js';
import type { BlobStore } from './blobs/blob-store.js';
import { openBlobStore } from './blobs/open-blob-store.js';
import { createMemoryPubSub } from './events/pubsub-memory.js';
import { openRedisPubSub } from './events/pubsub-redis.js';
import { RealtimeHub } from './events/realtime-hub.js';
import { createMemoryReplayBuffer } from './events/replay-memory.js';
import { createRedisReplayBuffer } from './events/replay-redis.js';
import { announceAgentUpdates } from './governor/agent-updates.js';
import { announceJobUpdates } from './jobs/realtime-jobs.js';
import type { Redis } from 'ioredis';
import {
  closeRedisConnection,
  createRedisConnection,
  redisAvailable,
  waitUntilReady,
} from './redis/connection.js';
import type { Answerer } from './governor/answerer.js';
import { Governor } from './governor/governor.js';
import { OrchestratorClient } from './orchestrator/client.js';
import type { Agent } from './governor/policy-bundle.js';
import { PolicyService } from './governor/policy-service.js';
import { CanaryService } from './governor/policy-canary.js';
import { EmbeddingBackfill } from './kb/embedding-backfill.js';
import { KnowledgeSync, type SyncReport } from './kb/sync.js';
import { loadCredentialCipher } from './kb/credential-cipher.js';
import { SourceCredentials } from './kb/source-credentials.js';
import { OutboundGuard, type ResolveHost } from './net/outbound-guard.js';
import { type ChatChain, createChatChain, createEmbeddingProvider } from './providers/factory.js';
import { createProviderProbe } from './providers/provider-probe.js';
import type { ProviderInstruments } from './providers/instrumented.js';
import { SearchService } from './search/search-service.js';
import { openStorage } from './store/open-storage.js';
import type { Source, Store } from './store/store.js';
import { createLogger } from './telemetry/logger.js';
import { type Metrics, createMetrics } from './telemetry/metrics.js';
import { openJobQueue } from './jobs/open-job-queue.js';
import { instrumentJobQueue } from './jobs/instrumented-queue.js';
import { availableQueues } from './jobs/processors.js';
import { createImageProvider } from './providers/images-openai.js';
import { createVisionProvider } from './providers/vision-factory.js';
import { VisionService } from './vision/vision-service.js';
import type { JobQueue, JobWorker } from './jobs/queue.js';
import { type StartWorkerOptions, WORKER_CLOSE_TIMEOUT_MS, startJobWorker } from './jobs/worker.js';

export const BUNDLED_SOURCE = 'keel-docs';

/** Every service of one Keel process, composed from config. Entry points (api, cli) use this. */
export interface Keel {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  search: SearchService;
  sync: KnowledgeSync;
  /** Seals git source credentials (KEEL_CREDENTIALS_KEY) and opens them for sync. */
  credentials: SourceCredentials;
  /** Decides whether a user-given address (git source, webhook) may be connected to. */
  outbound: OutboundGuard;
  policies: PolicyService;
  /** Canary rollouts of policy versions, judged in the background by every process. */
  canaries: CanaryService;
  governor: Governor;
  /** The governor in process, or the orchestrator over signed HTTP when KEEL_ORCHESTRATOR_URL is set. */
  answers: Answerer;
  /** Readiness of the configured chat provider: a cheap authenticated read, cached 30 s. */
  providerReady: () => Promise<void>;
  accounts: AccountService;
  apiKeys: ApiKeyService;
  quotas: QuotaService;
  limiter: RateLimiter;
  cache: Cache;
  /** Fan-out of events (job progress, agent updates) to every process; Redis when configured. */
  events: PubSub;
  /** Realtime topics (jobs, conversations, agents) with replay: Redis streams when configured. */
  realtime: RealtimeHub;
  redis: Redis | undefined;
  /** Uploads, generated content and backups: a local folder, or S3 when S3_ENDPOINT is set. */
  blobs: BlobStore;
  loginGuard: LoginGuard;
  /** Image analysis; undefined when no vision provider is configured (`KEEL_VISION=none`). */
  vision: VisionService | undefined;
  /** Durable jobs: BullMQ on Redis when REDIS_URL is set, else `jobs.db` in the data folder. */
  jobs: JobQueue;
  /**
   * Runs jobs in this process (`keel serve`, `keel worker`; never `keel api`). `close()` stops
   * every worker started here gracefully: running jobs finish or go back to the queue.
   */
  startWorker(options?: StartWorkerOptions): JobWorker;
  syncSource(source: Source): Promise<SyncReport>;
  close(): Promise<void>;
}

function providerResolver(
  config: Config,
  logger: Logger,
  instruments: ProviderInstruments,
): (agent: Agent | undefined) => ChatChain {
  const cache = new Map<string, ChatChain>();
  const fallback = createChatChain(config, { logger, instruments });
  return (agent) => {
    if (!agent?.provider) return fallback;
    const key = `${agent.provider}:${agent.model ?? ''}`;
    let provider = cache.get(key);
    if (!provider) {
      const name = agent.provider;
      const providers = { ...config.providers, chat: name };
      if (agent.model && name !== 'extractive')
        providers[name] = { ...providers[name], model: agent.model };
      provider = createChatChain({ ...config, providers }, { logger, instruments });
      cache.set(key, provider);
    }
    return provider;
  };
}

/**
 * JWT signing keys come from config; only development generates (and keeps) its own. With sign-in
 * off and no keys configured, token operations answer that sign-in is off.
 */
async function tokenServiceFor(config: Config): Promise<TokenService> {
  const { jwt } = config.auth;
  const generateInto =
    config.profile === 'development' ? join(config.dataDir, 'jwt-keys.json') : undefined;
  if (!config.auth.enabled && !jwt.keysJson && !jwt.keysFile && !generateInto) {
    const off = async (): Promise<never> => {
      throw new ValidationError(
        'auth_disabled',
        'Sign-in is off (KEEL_AUTH=off); configure KEEL_JWT_KEYS to use accounts',
      );
    };
    return { issueAccessToken: off, verifyAccessToken: off };
  }
  const keys = await loadSigningKeys({
    ...(jwt.keysJson && { json: jwt.keysJson }),
    ...(jwt.keysFile && { file: jwt.keysFile }),
    ...(generateInto && { generateInto }),
  });
  return createTokenService({
    keys,
    issuer: jwt.issuer,
    audience: jwt.audience,
    accessTtlSeconds: jwt.accessTtlSeconds,
  });
}

/**
 * Opens the store, search, providers, policies and governor for one process.
 *
 * @example
 *   const keel = await openKeel(loadConfig());
 *   const answer = await keel.governor.answer({ message: 'How do I roll back a policy?' });
 */
export async function openKeel(
  config: Config,
  options: { logger?: Logger; resolveHost?: ResolveHost } = {},
): Promise<Keel> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const prices = { ...DEFAULT_PRICES, ...config.limits.prices };
  const instruments: ProviderInstruments = {
    metrics,
    costOf: (provider, model, usage) => costOf(prices, provider, model, usage),
  };
  const { store, vectorIndex } = await openStorage(config, { logger });
  const embedder = createEmbeddingProvider(config, instruments);
  const embeddings =
    embedder && vectorIndex && new EmbeddingBackfill(store, vectorIndex, embedder, logger);
  const search = new SearchService(
    store,
    embedder && vectorIndex ? { index: vectorIndex, embedder } : undefined,
    (error) =>
      logger.warn(
        { err: (error as Error).message },
        'Vector search failed; answering from lexical search',
      ),
  );
  const policies = new PolicyService(store, config.policiesDir);
  await policies.current();
  const redis = config.redis.url
    ? createRedisConnection(config.redis.url, { name: 'keel', logger })
    : undefined;
  // Redis down at start must not stop the process from listening: it starts, reports unready at
  // /health/ready, and every connection reconnects on its own once Redis is back.
  if (redis) await redisAtStart(redis, logger);
  const blobs = await openBlobStore(config, { createBucket: config.profile === 'development' });
  const credentials = new SourceCredentials(
    store,
    await loadCredentialCipher({
      key: config.credentialsKey,
      ...(config.profile === 'development' && {
        generateInto: join(config.dataDir, 'credentials-key'),
      }),
    }),
  );
  await credentials.sealCredentialsInLocations(logger);
  const outbound = new OutboundGuard({
    allow: config.outbound.allow,
    ...(options.resolveHost && { resolve: options.resolveHost }),
  });
  const sync = new KnowledgeSync(store, {
    dataDir: config.dataDir,
    logger,
    blobs,
    credentials,
    outbound,
    ...(embeddings && { embeddings }),
  });
  const limiter = redis ? createRedisRateLimiter({ connection: redis }) : createMemoryRateLimiter();
  const onCacheUnavailable = (error: unknown) =>
    logger.warn({ err: (error as Error).message }, 'cache unavailable; answering without it');
  const cache = countLookups(
    redis
      ? createRedisCache({ connection: redis, onUnavailable: onCacheUnavailable })
      : createMemoryCache({ onUnavailable: onCacheUnavailable }),
    metrics,
  );
  const events = config.redis.url
    ? await openRedisPubSub({
        url: config.redis.url,
        name: 'keel-events',
        logger,
        waitForRedis: false,
      })
    : createMemoryPubSub({ logger });
  await policies.listen(events);
  const canaries = new CanaryService({ store, policies, secret: config.secret });
  const stopJudgingCanaries = canaries.watch(logger);
  const realtime = new RealtimeHub(
    redis ? createRedisReplayBuffer({ connection: redis }) : createMemoryReplayBuffer(),
    events,
    logger,
  );
  announceAgentUpdates(policies, realtime);
  const accounts = new AccountService(
    store.accounts,
    createPasswordHasher(config.auth.argon2),
    await tokenServiceFor(config),
    {
      refreshTtlSeconds: config.auth.jwt.refreshTtlSeconds,
      refreshReuseGraceSeconds: config.auth.jwt.refreshReuseGraceSeconds,
      openRegistration: config.auth.openRegistration,
    },
  );
  const governor = new Governor({
    store,
    policies,
    search,
    providerFor: providerResolver(config, logger, instruments),
    cache,
    secret: config.secret,
    embedder,
    onEmbeddingError: (error) =>
      logger.warn(
        { err: (error as Error).message },
        'Embedding the question for memory recall failed; recalling lexically',
      ),
    logger,
  });
  const answers: Answerer = config.orchestrator.url
    ? new OrchestratorClient({
        url: config.orchestrator.url,
        secret: config.orchestrator.secret ?? '',
        timeoutMs: config.orchestrator.timeoutMs,
      })
    : governor;
  const quotas = new QuotaService(store.usage, config.limits.quotas, prices);
  const imageProvider = createImageProvider(config);
  const visionProvider = createVisionProvider(config);
  const vision =
    visionProvider &&
    new VisionService({
      provider: visionProvider,
      blobs,
      cache,
      policies,
      answers,
      quotas,
      maxImageBytes: config.providers.vision.maxImageBytes,
    });
  // The queues beyond ingest and webhooks, each offered only when its dependencies exist here.
  const optionalJobGroups = {
    generate: { answers, quotas, blobs },
    predictions: { blobs },
    memory: {
      conversations: store.conversations,
      memories: store.memories,
      policy: () => policies.current(),
      check: (text: string) => governor.check(text),
      embedder,
    },
    ...(imageProvider && { images: { provider: imageProvider, blobs, answers, quotas } }),
    ...(vision && { vision: { vision } }),
  };
  const jobs = announceJobUpdates(
    instrumentJobQueue(
      openJobQueue({
        redisUrl: config.redis.url,
        dataDir: config.dataDir,
        logger,
        accepts: availableQueues(optionalJobGroups),
      }),
      metrics,
    ),
    realtime,
  );
  metrics.observeQueues(() => jobs.depth());
  const workers = new Set<JobWorker>();
  /** Counts and logs a finished sync, whether it ran here in process or as an ingest job. */
  const recordSync = (report: SyncReport): SyncReport => {
    metrics.syncRuns.inc({ status: report.status });
    logger.info(
      {
        source: report.name,
        status: report.status,
        version: report.version,
        added: report.added,
        updated: report.updated,
        removed: report.removed,
        unchanged: report.unchanged,
        errors: report.errors.length,
        durationMs: report.durationMs,
      },
      'knowledge source synced',
    );
    return report;
  };
  return {
    config,
    logger,
    metrics,
    store,
    search,
    sync,
    credentials,
    outbound,
    policies,
    canaries,
    governor,
    answers,
    providerReady: createProviderProbe(config),
    accounts,
    apiKeys: new ApiKeyService(store.accounts),
    quotas,
    limiter,
    cache,
    events,
    realtime,
    redis,
    blobs,
    loginGuard: createLoginGuard(limiter),
    vision,
    jobs,
    startWorker(options) {
      const worker = startJobWorker(
        jobs,
        {
          logger,
          registry: metrics.registry,
          ingest: { store, sync, onSynced: (report) => recordSync(report) },
          webhooks: {
            secretFor: (secretRef) => (secretRef ? undefined : config.webhooks.secret),
            outbound,
          },
          ...optionalJobGroups,
        },
        options,
      );
      workers.add(worker);
      return worker;
    },
    async syncSource(source) {
      return recordSync(await sync.sync(source));
    },
    async close() {
      stopJudgingCanaries();
      // Workers first (their jobs still need the store), then the queue, then the store.
      await Promise.all(
        [...workers].map((worker) =>
          worker.close({ graceful: true, timeoutMs: WORKER_CLOSE_TIMEOUT_MS }),
        ),
      );
      await jobs.close();
      await events.close();
      await blobs.close();
      if (redis) await closeRedisConnection(redis);
      await store.close();
    },
  };
}

async function redisAtStart(redis: Redis, logger: Logger): Promise<void> {
  try {
    await waitUntilReady(redis);
  } catch {
    logger.warn('Redis is not reachable at start; starting unready and reconnecting');
  }
}

/** Registers the bundled docs as source `keel-docs` (once) and syncs it. */
export async function syncBundledKnowledge(keel: Keel): Promise<SyncReport | undefined> {
  if (!keel.config.bundledKnowledge) return undefined;
  const source =
    (await keel.store.findSourceByName(BUNDLED_SOURCE)) ??
    (await keel.store.createSource({
      name: BUNDLED_SOURCE,
      kind: 'folder',
      location: keel.config.knowledgeDir,
    }));
  return keel.syncSource(source);
}

/**
 * Each dependency's state, `ok` or `failed: <reason>`: database, active policy, job queue, blob
 * store, and Redis, the orchestrator or the chat provider as configured. The API's
 * `/health/ready` and the worker's probe server both answer with it.
 */
export async function readinessChecks(keel: Keel): Promise<Record<string, string>> {
  const checks: Record<string, string> = {};
  const probe = async (name: string, check: () => Promise<unknown>) => {
    try {
      await check();
      checks[name] = 'ok';
    } catch (error) {
      checks[name] = `failed: ${(error as Error).message}`;
    }
  };
  await probe('database', () => keel.store.ping());
  await probe('policy', () => keel.policies.current());
  await probe('jobs', () => keel.jobs.ping());
  const redis = keel.redis;
  if (redis) {
    await probe('redis', async () => {
      if (!(await redisAvailable(redis))) throw new Error('no answer to PING');
    });
  }
  // A list of at most one key proves the bucket (or folder) is there and readable.
  await probe('blobs', () => keel.blobs.list('', { limit: 1 }));
  const orchestrator = keel.answers;
  if (orchestrator instanceof OrchestratorClient) {
    // The orchestrator's own readiness covers the provider: it is the process that calls it.
    await probe('orchestrator', () => orchestrator.ready());
  } else {
    await probe('provider', () => keel.providerReady());
  }
  return checks;
}
