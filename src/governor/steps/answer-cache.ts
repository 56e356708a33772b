import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Cache } from '../../cache/cache.js';
import { CACHE_TTL_SECONDS } from '../../cache/cache-ttl.js';
import { fallbacksOf } from '../../providers/fallback.js';
import type { KnowledgeStore } from '../../store/store.js';
import { governedAnswerSchema } from '../answer-schema.js';
import { scopedSources } from '../scoped-sources.js';
import type { GovernorContext, GovernorStep } from '../step.js';
import type { ProviderForAgent } from './generation.js';

const cachedAnswerSchema = governedAnswerSchema
  .pick({ answer: true, citations: true, usage: true })
  .extend({
    provider: z.string(),
    model: z.string(),
    // Optional: entries written before it was kept still parse.
    knowledgeVersions: governedAnswerSchema.shape.knowledgeVersions.optional(),
  });
type CachedAnswer = z.infer<typeof cachedAnswerSchema>;

/**
 * Everything that changes an answer: policy and prompt versions, the agent, the knowledge
 * versions in its scopes, the provider and model, k, the output cap and temperature, and the
 * (redacted) question. A new sync or
 * policy activation therefore never serves a stale answer.
 */
async function cacheKey(
  context: GovernorContext,
  store: KnowledgeStore,
  providerFor: ProviderForAgent,
): Promise<string> {
  const versions = (await scopedSources(context, store))
    .map((source) => `${source.id}@${source.version ?? '-'}`)
    .sort();
  const provider = providerFor(context.agent);
  const parts = [
    context.workspaceId,
    context.bundle.version,
    context.agent?.id ?? '',
    context.agent?.promptVersion ?? '',
    versions.join(','),
    `${provider.name}/${provider.model}`,
    String(context.request.k ?? ''),
    String(context.request.maxOutputTokens ?? ''),
    String(context.request.temperature ?? ''),
    // The model sees the user's memories, so they change the answer (and keep it theirs).
    context.memories.map((memory) => memory.id).join(','),
    context.input,
  ];
  return `answer:${createHash('sha256').update(parts.join('\u0000')).digest('hex')}`;
}

/**
 * Looks the answer up before retrieval and generation; on a hit the rest of the answer steps
 * are skipped (the audit record is still written). `remember` stores a clean answer afterwards.
 */
export function createAnswerCache(deps: {
  cache: Cache;
  store: KnowledgeStore;
  providerFor: ProviderForAgent;
}) {
  const step: GovernorStep = {
    id: 'answer-cache',
    async run(context) {
      context.cacheKey = await cacheKey(context, deps.store, deps.providerFor);
      const hit = await deps.cache.get(context.cacheKey, cachedAnswerSchema).catch(() => undefined);
      if (!hit) return { decision: 'miss' };
      context.answer = hit.answer;
      context.citations = hit.citations;
      context.knowledgeVersions = hit.knowledgeVersions ?? {};
      // No model ran: nothing to bill, whatever the first answer cost.
      const usage = { inputTokens: 0, outputTokens: 0 };
      context.usage = usage;
      context.result = {
        text: hit.answer,
        usage,
        provider: hit.provider,
        model: hit.model,
        finishReason: 'stop',
      };
      return { decision: 'hit', skipRest: true };
    },
  };
  const remember = async (context: GovernorContext): Promise<void> => {
    // An answer from a fallback provider is not what the key's (primary) provider would say.
    const clean =
      context.decision.status !== 'refused' &&
      context.flags.length === 0 &&
      context.result &&
      fallbacksOf(context.result).length === 0;
    if (!clean || !context.cacheKey || context.answer === undefined) return;
    const value: CachedAnswer = {
      answer: context.answer,
      citations: context.citations,
      usage: context.usage,
      provider: context.result!.provider,
      model: context.result!.model,
      knowledgeVersions: context.knowledgeVersions,
    };
    await deps.cache.set(context.cacheKey, value, CACHE_TTL_SECONDS.answers).catch(() => undefined);
  };
  return { step, remember };
}
