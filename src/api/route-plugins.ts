import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { InviteService } from '../auth/invites.js';
import { Uploads } from '../kb/uploads/uploads.js';
import { type Keel, readinessChecks } from '../keel.js';
import { adminActionRecorder } from './admin-audit.js';
import { memoryCapturer } from './memory-capture.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { chatRoutes } from './routes/chat.js';
import { conversationRoutes } from './routes/conversations.js';
import { governorRoutes } from './routes/governor.js';
import { healthRoutes } from './routes/health.js';
import { inviteRoutes } from './routes/invites.js';
import { jobEventRoutes } from './routes/job-events.js';
import { jobOutputRoutes } from './routes/job-output.js';
import { jobVersionRoutes } from './routes/job-versions.js';
import { jobRoutes } from './routes/jobs.js';
import { kbExampleRoutes } from './routes/kb-examples.js';
import { kbRoutes } from './routes/kb.js';
import { mcpRoutes } from './routes/mcp.js';
import { memoryRoutes } from './routes/memories.js';
import { openAiChatRoutes } from './routes/openai-chat.js';
import { policyRoutes } from './routes/policies.js';
import { policyCanaryRoutes } from './routes/policy-canary.js';
import { policyHistoryRoutes } from './routes/policy-history.js';
import { realtimeRoutes } from './routes/realtime.js';
import { scheduleRoutes } from './routes/schedules.js';
import { seriesRoutes } from './routes/series.js';
import { uploadRoutes } from './routes/uploads.js';
import { usageSeriesRoutes } from './routes/usage-series.js';
import { usageRoutes } from './routes/usage.js';
import { userRoutes } from './routes/users.js';
import { visionRoutes } from './routes/vision.js';
import { webAppRoutes } from './web-app.js';

/**
 * Every route plugin of the API with the services it uses, in registration order: the one place
 * that hands parts of `Keel` to routes, so each plugin's signature names all it depends on.
 */
export function routePlugins(keel: Keel): FastifyPluginAsyncZod[] {
  const { config, store, jobs, blobs, policies, accounts, answers, quotas, metrics } = keel;
  const recordAdminAction = adminActionRecorder({ audit: store, policies, secret: config.secret });
  const refreshCookie = {
    secure: config.profile !== 'development',
    maxAgeSeconds: config.auth.jwt.refreshTtlSeconds,
  };
  return [
    healthRoutes({ readiness: () => readinessChecks(keel), metrics }),
    chatRoutes({
      answers,
      quotas,
      metrics,
      conversations: store.conversations,
      realtime: keel.realtime,
      captureMemories: memoryCapturer({
        jobs,
        policies,
        memories: store.memories,
        logger: keel.logger,
      }),
    }),
    openAiChatRoutes({ answers, quotas, metrics, policies }),
    mcpRoutes({ answers, quotas, metrics, search: keel.search, store }),
    kbRoutes({
      knowledge: store,
      search: keel.search,
      outbound: keel.outbound,
      credentials: keel.credentials,
      sync: keel.sync,
      jobs,
      recordAdminAction,
    }),
    kbExampleRoutes({ knowledge: store }),
    uploadRoutes({
      uploads: new Uploads({
        store,
        blobs,
        syncSource: (source) => keel.syncSource(source),
      }),
      maxRequestBytes: config.server.uploadMaxRequestBytes,
    }),
    visionRoutes({
      vision: keel.vision,
      maxImageBytes: config.providers.vision.maxImageBytes,
      jobs,
    }),
    policyRoutes({ policies, recordAdminAction }),
    governorRoutes({ answers }),
    authRoutes({
      accounts,
      users: store.accounts,
      loginGuard: keel.loginGuard,
      refreshCookie,
    }),
    apiKeyRoutes({ apiKeys: keel.apiKeys, recordAdminAction }),
    userRoutes({ accounts, users: store.accounts, recordAdminAction }),
    usageRoutes({ usage: store.usage, quotas: config.limits.quotas }),
    usageSeriesRoutes({
      usage: store.usage,
      accounts: store.accounts,
      quotas: config.limits.quotas,
    }),
    conversationRoutes({ conversations: store.conversations }),
    memoryRoutes({ memories: store.memories }),
    auditRoutes({ audit: store }),
    policyHistoryRoutes({ policies }),
    policyCanaryRoutes({ canaries: keel.canaries }),
    inviteRoutes({
      invites: new InviteService(accounts, store.accounts, store.invites),
      refreshCookie,
      recordAdminAction,
    }),
    webAppRoutes({ web: config.web, authEnabled: config.auth.enabled, users: store.accounts }),
    jobRoutes({ jobs, knowledge: store, outbound: keel.outbound }),
    jobEventRoutes({ jobs }),
    jobOutputRoutes({ jobs, blobs }),
    jobVersionRoutes({ jobs, blobs }),
    realtimeRoutes({
      jobs,
      conversations: store.conversations,
      policies,
      realtime: keel.realtime,
    }),
    scheduleRoutes({ schedules: jobs.schedules }),
    seriesRoutes({ blobs }),
  ];
}
