import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.js';
import { auditSigner } from '../src/governor/steps/audit.js';
import { openKeel } from '../src/keel.js';
import { createLogger } from '../src/telemetry/logger.js';
import { startUpstream } from './gateway-upstream.js';
import { type Summary, summarize } from './stats.js';

/**
 * Where the added time of one chat call goes, one client, in process, on the same database,
 * Redis and policy as the gateway run: each piece of the API's and governor's work timed on its
 * own, `runs` times in a row. The governor is timed against an upstream that answers at once, so
 * its figure is Keel's own work plus one loopback HTTP call.
 */
export async function breakdown(env: Record<string, string>, key: string, runs = 200) {
  const upstream = await startUpstream(0);
  const config = loadConfig({
    env: { ...env, OPENAI_BASE_URL: upstream.url },
    file: '/nonexistent',
  });
  const keel = await openKeel(config, { logger: createLogger('silent') });
  const pieces: Record<string, number[]> = {};
  const time = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    (pieces[name] ??= []).push(performance.now() - started);
    return result;
  };
  try {
    for (let run = 0; run < runs; run += 1) {
      const principal = await time('API key → principal', () => keel.apiKeys.authenticate(key));
      await time('rate-limit consume', () =>
        keel.limiter.consume(`bench:${principal.userId}`, { limit: 1e9, windowMs: 60_000 }),
      );
      const traceId = `breakdown-${run}-${Date.now()}`;
      const ticket = await time('quota reserve', () => keel.quotas.reserve(principal, traceId));
      const answer = await time('governor (upstream 0 ms)', () =>
        keel.governor.answer(
          { message: `How do I roll back a policy? (breakdown ${run})` },
          { traceId, workspaceId: principal.workspaceId },
        ),
      );
      await time('quota settle', () =>
        ticket.settle({ provider: answer.provider, model: answer.model, usage: answer.usage }),
      );
      // The governor writes one of these per call; timed alone, it is the audit chain's cost.
      await time('audit append (inside governor)', () =>
        keel.store.appendAudit(
          {
            traceId: `${traceId}-audit`,
            workspaceId: principal.workspaceId,
            createdAt: new Date().toISOString(),
            kind: 'bench',
            policyVersion: 'bench',
            promptVersion: null,
            agent: null,
            provider: answer.provider,
            model: answer.model,
            knowledgeVersions: {},
            inputTokens: answer.usage.inputTokens,
            outputTokens: answer.usage.outputTokens,
            latencyMs: 0,
            decision: answer.decision.status,
            steps: [],
          },
          auditSigner(config.secret),
        ),
      );
    }
  } finally {
    await keel.close();
    await upstream.close();
  }
  const result: Record<string, Summary> = {};
  for (const [name, values] of Object.entries(pieces)) result[name] = summarize(values.slice(10));
  return result;
}
