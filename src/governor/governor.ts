import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { PolicyRefusalError } from '../errors.js';
import type { SearchService } from '../search/search-service.js';
import type { Store } from '../store/store.js';
import { DEFAULT_WORKSPACE } from '../store/store.js';
import type { AnswerOptions } from './answerer.js';
import { inSpan } from '../telemetry/tracing.js';
import { runPipeline } from './pipeline.js';
import { StreamGate } from './stream-gate.js';
import type { PolicyBundle } from './policy-bundle.js';
import type { PolicyService } from './policy-service.js';
import type { GovernedAnswer, InputCheck } from './answer-schema.js';
import type { GovernorContext, GovernorStep } from './step.js';
import type { Cache } from '../cache/cache.js';
import type { EmbeddingProvider } from '../providers/provider.js';
import { createAnswerCache } from './steps/answer-cache.js';
import { createAuditStep } from './steps/audit.js';
import { type ProviderForAgent, createGenerationStep } from './steps/generation.js';
import { inputSizeStep } from './steps/input-size.js';
import { outputValidationStep } from './steps/output-validation.js';
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

/** The input policy alone: what `/v1/governor/check` dry-runs. */
const INPUT_STEPS: GovernorStep[] = [inputSizeStep, promptInjectionStep, piiStep, topicRulesStep];

/**
 * The governor: composes the steps in one place. Order is the policy: input checks, routing,
 * retrieval, generation, output validation; the audit record is written whatever happens.
 */
export class Governor {
  private readonly answerSteps: GovernorStep[];
  private readonly auditStep: GovernorStep;
  private readonly answerCache: ReturnType<typeof createAnswerCache>;

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
    this.answerCache = createAnswerCache({
      cache: deps.cache,
      store: deps.store,
      providerFor: deps.providerFor,
    });
    this.answerSteps = [
      ...INPUT_STEPS,
      routingStep,
      createMemoryStep({
        memories: deps.store.memories,
        embedder: deps.embedder,
        ...(deps.onEmbeddingError && { onEmbeddingError: deps.onEmbeddingError }),
      }),
      this.answerCache.step,
      createRetrievalStep({ search: deps.search, store: deps.store }),
      passageScreeningStep,
      createGenerationStep(deps.providerFor),
      outputValidationStep,
    ];
    this.auditStep = createAuditStep({ store: deps.store, secret: deps.secret, kind: 'chat' });
  }

  private async newContext(
    request: ChatRequestInput,
    traceId?: string,
    bundle?: PolicyBundle,
  ): Promise<GovernorContext> {
    return {
      traceId: traceId ?? randomUUID(),
      workspaceId: DEFAULT_WORKSPACE,
      startedAt: Date.now(),
      bundle: bundle ?? (await this.deps.policies.current()),
      request,
      input: request.message,
      decision: { status: 'allowed', reasons: [] },
      passages: [],
      memories: [],
      knowledgeVersions: {},
      citations: [],
      flags: [],
      usage: { inputTokens: 0, outputTokens: 0 },
      steps: [],
    };
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

  private async runCheck(text: string, bundle?: PolicyBundle): Promise<InputCheck> {
    const context = await this.newContext({ message: text }, undefined, bundle);
    await runPipeline(context, INPUT_STEPS);
    return {
      decision: context.decision,
      redactedText: context.input,
      policy: { id: context.bundle.policy.id, version: context.bundle.version },
      steps: context.steps,
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

  private async governedAnswer(
    request: ChatRequestInput,
    options: AnswerOptions,
  ): Promise<GovernedAnswer> {
    // Who asks decides whether a running canary serves the call (sticky per user).
    const bundle = await this.deps.policies.current(options.userId ?? options.actor);
    const context = await this.newContext(request, options.traceId, bundle);
    if (options.onDelta)
      context.stream = new StreamGate(context, {
        onDelta: options.onDelta,
        ...(options.onRefusal && { onRefusal: options.onRefusal }),
      });
    if (options.signal) context.signal = options.signal;
    if (options.workspaceId) context.workspaceId = options.workspaceId;
    if (options.actor) context.actor = options.actor;
    if (options.userId) context.userId = options.userId;
    await runPipeline(context, this.answerSteps, [this.auditStep], (stepId, error) =>
      this.deps.logger?.error(
        { traceId: context.traceId, step: stepId, err: error },
        'The audit record of this call could not be written',
      ),
    );
    if (!context.stopped) {
      context.stream?.finish(context);
      await this.answerCache.remember(context);
    }
    const policy = { id: context.bundle.policy.id, version: context.bundle.version };
    if (context.stopped) {
      throw new PolicyRefusalError('input_refused', context.stopped.message, {
        reason: context.stopped.code,
        decision: context.decision,
        policy,
        traceId: context.traceId,
      });
    }
    return {
      answer: context.answer ?? '',
      citations: context.citations,
      usage: context.usage,
      policy,
      decision: context.decision,
      agent: context.agent?.id ?? null,
      provider: context.result?.provider ?? null,
      model: context.result?.model ?? null,
      knowledgeVersions: context.knowledgeVersions,
      flags: context.flags,
      traceId: context.traceId,
      memories: context.memories.map(({ id, kind, text }) => ({ id, kind, text })),
    };
  }
}
