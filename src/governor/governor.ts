import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { PolicyRefusalError } from '../errors.js';
import type { SearchService } from '../search/search-service.js';
import type { Store } from '../store/store.js';
import { DEFAULT_WORKSPACE } from '../store/store.js';
import type { AnswerOptions } from './answerer.js';
import { inSpan } from '../telemetry/tracing.js';
import { StepStopped, recordFailure, runFinalStep, runStep } from './pipeline.js';
import { StreamGate } from './stream-gate.js';
import type { Agent, PolicyBundle } from './policy-bundle.js';
import type { PolicyService } from './policy-service.js';
import type { GovernedAnswer, InputCheck } from './answer-schema.js';
import { type Answered, type Call, type CallLog, type Step, newCallLog } from './step.js';
import type { Cache } from '../cache/cache.js';
import type { RecalledMemory } from '../memory/recall.js';
import type { EmbeddingProvider } from '../providers/provider.js';
import { scopedSources } from './scoped-sources.js';
import { createAnswerCache } from './steps/answer-cache.js';
import { type AuditInput, createAuditStep } from './steps/audit.js';
import { type ProviderForAgent, createGenerationStep } from './steps/generation.js';
import { inputSizeStep } from './steps/input-size.js';
import { type Grounds, outputValidationStep } from './steps/output-validation.js';
import { passageScreeningStep } from './steps/passage-screening.js';
import { piiStep } from './steps/pii.js';
import { promptInjectionStep } from './steps/prompt-injection.js';
import { createMemoryStep } from './steps/memory.js';
import { createRetrievalStep } from './steps/retrieval.js';
import { routingStep } from './steps/routing.js';
import { topicRulesStep } from './steps/topic-rules.js';

export type { GovernedAnswer, InputCheck } from './answer-schema.js';

export interface ChatRequestInput {
  message: string;
  agent?: string;
  k?: number;
  /** Caps the model's answer (OpenAI-compatible `max_tokens`). */
  maxOutputTokens?: number;
  /** Sampling temperature for providers that take one (OpenAI-compatible `temperature`). */
  temperature?: number;
}

/**
 * The input policy alone: what `/v1/governor/check` dry-runs. Each step reads the text the one
 * before gave (after `pii`: redacted), the text the model will see.
 */
const INPUT_STEPS: Step<string, string>[] = [
  inputSizeStep,
  promptInjectionStep,
  piiStep,
  topicRulesStep,
];

/** What the answer steps produced: the answer, and what the answer object tells besides. */
interface Governed {
  agent: Agent;
  memories: RecalledMemory[];
  /** Where the answer cache keeps this answer. */
  cacheKey: string;
  answered: Answered;
}

function newCall(request: ChatRequestInput, bundle: PolicyBundle, options: AnswerOptions): Call {
  return {
    traceId: options.traceId ?? randomUUID(),
    workspaceId: options.workspaceId || DEFAULT_WORKSPACE,
    startedAt: Date.now(),
    bundle,
    request,
    ...(options.actor && { actor: options.actor }),
    ...(options.userId && { userId: options.userId }),
    ...(options.signal && { signal: options.signal }),
  };
}

/** Runs the input steps; the text they end with, as far as they got when one refused. */
async function checkInput(
  call: Call,
  log: CallLog,
): Promise<{ text: string; stopped?: StepStopped }> {
  let text = call.request.message;
  for (const step of INPUT_STEPS) {
    try {
      text = await runStep(step, text, call, log);
    } catch (error) {
      if (error instanceof StepStopped) return { text, stopped: error };
      throw error;
    }
  }
  return { text };
}

/**
 * The governor: composes the steps in one place, handing each the outputs it reads. Order is the
 * policy: input checks, routing, memory, the answer cache, retrieval, passage screening,
 * generation, output validation; the audit record is written whatever happens.
 */
export class Governor {
  private readonly memoryStep: ReturnType<typeof createMemoryStep>;
  private readonly answerCache: ReturnType<typeof createAnswerCache>;
  private readonly retrievalStep: ReturnType<typeof createRetrievalStep>;
  private readonly generationStep: ReturnType<typeof createGenerationStep>;
  private readonly auditStep: ReturnType<typeof createAuditStep>;

  constructor(
    private readonly deps: {
      store: Store;
      policies: PolicyService;
      search: SearchService;
      providerFor: ProviderForAgent;
      secret: string | undefined;
      cache: Cache;
      /** Ranks memories by meaning too, when an embedding provider is configured. */
      embedder?: EmbeddingProvider | undefined;
      onEmbeddingError?: (error: unknown) => void;
      /** Hears of an audit record that could not be written; the call itself goes on. */
      logger?: Pick<Logger, 'error'>;
    },
  ) {
    this.memoryStep = createMemoryStep({
      memories: deps.store.memories,
      embedder: deps.embedder,
      ...(deps.onEmbeddingError && { onEmbeddingError: deps.onEmbeddingError }),
    });
    this.answerCache = createAnswerCache({ cache: deps.cache, providerFor: deps.providerFor });
    this.retrievalStep = createRetrievalStep({ search: deps.search });
    this.generationStep = createGenerationStep(deps.providerFor);
    this.auditStep = createAuditStep({ store: deps.store, secret: deps.secret, kind: 'chat' });
  }

  /**
   * Dry-runs the input policy on a text (the active policy, or `bundle`); never calls a model
   * and writes no audit record.
   */
  check(text: string, bundle?: PolicyBundle): Promise<InputCheck> {
    return inSpan('governor.check', {}, async (span) => {
      const check = await this.runCheck(text, bundle);
      span.setAttribute('keel.decision.status', check.decision.status);
      span.setAttribute('keel.policy.version', check.policy.version);
      return check;
    });
  }

  private async runCheck(message: string, bundle?: PolicyBundle): Promise<InputCheck> {
    const call = newCall({ message }, bundle ?? (await this.deps.policies.current()), {});
    const log = newCallLog();
    const { text } = await checkInput(call, log);
    return {
      decision: log.decision,
      redactedText: text,
      policy: { id: call.bundle.policy.id, version: call.bundle.version },
      steps: log.steps,
    };
  }

  /**
   * One governed answer. Input refusals throw a PolicyRefusalError (a 422 carrying the decision);
   * `onDelta` streams the answer while it is generated, but only text output validation has
   * passed (see `StreamGate`); `onRefusal` hears of an output refusal as soon as it is known.
   */
  answer(request: ChatRequestInput, options: AnswerOptions = {}): Promise<GovernedAnswer> {
    const attributes = {
      'keel.trace_id': options.traceId ?? '',
      'keel.stream': Boolean(options.onDelta),
      ...(request.agent && { 'keel.agent.requested': request.agent }),
    };
    return inSpan('governor.answer', attributes, async (span) => {
      const answer = await this.governedAnswer(request, options);
      span.setAttributes({
        'keel.decision.status': answer.decision.status,
        'keel.policy.version': answer.policy.version,
        'keel.agent': answer.agent ?? '',
        'keel.citations': answer.citations.length,
      });
      return answer;
    });
  }

  /**
   * The answer steps, each given what it reads. `seen` gathers what the audit record tells of a
   * call that may end at any step: the agent once routed, the knowledge versions once retrieved
   * (or cached), the model's result once it answered.
   */
  private async answerSteps(call: Call, seen: AuditInput, gate?: StreamGate): Promise<Governed> {
    const run = <In, Out>(step: Step<In, Out>, input: In) => runStep(step, input, call, seen.log);
    const checked = await checkInput(call, seen.log);
    if (checked.stopped) throw checked.stopped;
    const { text } = checked;
    const agent = await run(routingStep, text);
    seen.agent = agent;
    const memories = await run(this.memoryStep, { agent, text });
    const sources = await scopedSources(this.deps.store, call.workspaceId, agent);
    const { key: cacheKey, hit } = await run(this.answerCache.step, {
      agent,
      sources,
      memories,
      text,
    });
    if (hit) {
      seen.knowledgeVersions = hit.knowledgeVersions;
      seen.result = hit.result;
      return { agent, memories, cacheKey, answered: hit };
    }
    const { passages: retrieved, knowledgeVersions } = await run(this.retrievalStep, {
      agent,
      text,
      sources,
    });
    seen.knowledgeVersions = knowledgeVersions;
    const grounds: Grounds = {
      passages: await run(passageScreeningStep, retrieved),
      promptText: agent.promptText,
      output: call.bundle.policy.output,
    };
    const result = await run(this.generationStep, { agent, text, memories, grounds, gate });
    seen.result = result;
    const validated = await run(outputValidationStep, { grounds, result });
    return { agent, memories, cacheKey, answered: { ...validated, knowledgeVersions, result } };
  }

  private async governedAnswer(
    request: ChatRequestInput,
    options: AnswerOptions,
  ): Promise<GovernedAnswer> {
    // Who asks decides whether a running canary serves the call (sticky per user).
    const bundle = await this.deps.policies.current(options.userId ?? options.actor);
    const call = newCall(request, bundle, options);
    const log = newCallLog();
    const gate =
      options.onDelta &&
      new StreamGate({
        onDelta: options.onDelta,
        ...(options.onRefusal && { onRefusal: options.onRefusal }),
      });
    const seen: AuditInput = { log, knowledgeVersions: {} };
    let governed: Governed | StepStopped;
    try {
      governed = await this.answerSteps(call, seen, gate).catch((error: unknown) => {
        if (error instanceof StepStopped) return error;
        recordFailure(log, error);
        throw error;
      });
    } finally {
      await runFinalStep(this.auditStep, seen, call, log, (stepId, error) =>
        this.deps.logger?.error(
          { traceId: call.traceId, step: stepId, err: error },
          'The audit record of this call could not be written',
        ),
      );
    }
    const policy = { id: bundle.policy.id, version: bundle.version };
    if (governed instanceof StepStopped) {
      throw new PolicyRefusalError('input_refused', governed.message, {
        reason: governed.code,
        decision: log.decision,
        policy,
        traceId: call.traceId,
      });
    }
    const { agent, memories, cacheKey, answered } = governed;
    gate?.finish(log.decision, answered.answer);
    await this.answerCache.remember(cacheKey, answered, log);
    return {
      answer: answered.answer,
      citations: answered.citations,
      usage: answered.result.usage,
      policy,
      decision: log.decision,
      agent: agent.id,
      provider: answered.result.provider,
      model: answered.result.model,
      knowledgeVersions: answered.knowledgeVersions,
      flags: log.flags,
      traceId: call.traceId,
      memories: memories.map(({ id, kind, text }) => ({ id, kind, text })),
    };
  }
}
