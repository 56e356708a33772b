import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Cache } from '../../cache/cache.js';
import { CACHE_TTL_SECONDS } from '../../cache/cache-ttl.js';
import type { RecalledMemory } from '../../memory/recall.js';
import { fallbacksOf } from '../../providers/fallback.js';
import type { Source } from '../../store/store.js';
import { governedAnswerSchema } from '../answer-schema.js';
import type { Agent } from '../policy-bundle.js';
import type { Answered, Call, CallLog, Step } from '../step.js';
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

/** What the answer depends on besides the call's fixed facts. */
export interface CacheKeyInput {
  agent: Agent;
  /** The agent's knowledge sources (their versions are part of the key). */
  sources: Source[];
  memories: RecalledMemory[];
  /** The question as the model sees it (redacted). */
  text: string;
}

/** The lookup's result: the key to store the answer under, and the answer when it was cached. */
export interface CacheLookup {
  key: string;
  hit?: Answered;
}

/**
 * Everything that changes an answer: policy and prompt versions, the agent, the knowledge
 * versions in its scopes, the provider and model, k, the output cap and temperature, and the
 * (redacted) question. A new sync or
 * policy activation therefore never serves a stale answer.
 */
function cacheKey(call: Call, input: CacheKeyInput, providerFor: ProviderForAgent): string {
  const versions = input.sources.map((source) => `${source.id}@${source.version ?? '-'}`).sort();
  const provider = providerFor(input.agent);
  const parts = [
    call.workspaceId,
    call.bundle.version,
    input.agent.id,
    input.agent.promptVersion,
    versions.join(','),
    `${provider.name}/${provider.model}`,
    String(call.request.k ?? ''),
    String(call.request.maxOutputTokens ?? ''),
    String(call.request.temperature ?? ''),
    // The model sees the user's memories, so they change the answer (and keep it theirs).
    input.memories.map((memory) => memory.id).join(','),
    input.text,
  ];
  return `answer:${createHash('sha256').update(parts.join('\u0000')).digest('hex')}`;
}

/**
 * Looks the answer up before retrieval and generation; on a hit the governor skips them (the
 * audit record is still written). `remember` stores a clean answer afterwards.
 */
export function createAnswerCache(deps: { cache: Cache; providerFor: ProviderForAgent }) {
  const step: Step<CacheKeyInput, CacheLookup> = {
    id: 'answer-cache',
    async run(input, call) {
      const key = cacheKey(call, input, deps.providerFor);
      const hit = await deps.cache.get(key, cachedAnswerSchema).catch(() => undefined);
      if (!hit) return { decision: 'miss', output: { key } };
      // No model ran: nothing to bill, whatever the first answer cost.
      const usage = { inputTokens: 0, outputTokens: 0 };
      const answered: Answered = {
        answer: hit.answer,
        citations: hit.citations,
        knowledgeVersions: hit.knowledgeVersions ?? {},
        result: {
          text: hit.answer,
          usage,
          provider: hit.provider,
          model: hit.model,
          finishReason: 'stop',
        },
      };
      return { decision: 'hit', output: { key, hit: answered } };
    },
  };
  const remember = async (key: string, answered: Answered, log: CallLog): Promise<void> => {
    // An answer from a fallback provider is not what the key's (primary) provider would say.
    const clean =
      log.decision.status !== 'refused' &&
      log.flags.length === 0 &&
      fallbacksOf(answered.result).length === 0;
    if (!clean) return;
    const value: CachedAnswer = {
      answer: answered.answer,
      citations: answered.citations,
      usage: answered.result.usage,
      provider: answered.result.provider,
      model: answered.result.model,
      knowledgeVersions: answered.knowledgeVersions,
    };
    await deps.cache.set(key, value, CACHE_TTL_SECONDS.answers).catch(() => undefined);
  };
  return { step, remember };
}
