import { actorOf } from '../auth/actor.js';
import type { Principal } from '../auth/principal.js';
import { PolicyRefusalError, isKeelError } from '../errors.js';
import type { AnswerOptions, Answerer } from '../governor/answerer.js';
import type { ChatRequestInput, GovernedAnswer } from '../governor/governor.js';
import type { TokenUsage } from '../providers/provider.js';
import type { Metrics } from '../telemetry/metrics.js';
import { QuotaExceededError, type QuotaExceededDetails } from './errors.js';
import type { QuotaHolder, QuotaService } from './quotas.js';

/**
 * Who a governed call is for: a request's principal, or — for a job, which runs after the request
 * that enqueued it is gone — the workspace and user named in its payload.
 */
export type Caller = Principal | QuotaHolder;

const actorFor = (caller: Caller): string =>
  'kind' in caller ? actorOf(caller) : `user-id:${caller.userId}`;

/**
 * The caller a job acts for: its payload's workspace and user. A job enqueued before its queue's
 * payload carried a user (an `images` job from an older release) spends the workspace's quota
 * under the user id `job:<workspace>`.
 */
export function jobCaller(payload: { workspaceId: string; userId?: string }): QuotaHolder {
  return {
    workspaceId: payload.workspaceId,
    userId: payload.userId ?? `job:${payload.workspaceId}`,
    apiKeyId: null,
  };
}

/** What a governed call uses: the answerer, the quotas and (optionally) the counters. */
export interface GovernedCallServices {
  answers: Answerer;
  quotas: QuotaService;
  metrics?: Pick<Metrics, 'governorDecisions' | 'quotaRefusals'>;
}

/**
 * One governed answer on behalf of a caller, as every entry point asks it (`/v1/chat`,
 * `/v1/chat/completions`, MCP `ask`, `generate` jobs): the quota is reserved first and settled
 * with the real usage (or released when no model was reached), and the final decision is counted.
 *
 * @example
 *   const answer = await governedCall(keel, request.principal, { message: 'What is Keel?' }, { traceId });
 */
export async function governedCall(
  keel: GovernedCallServices,
  caller: Caller,
  question: ChatRequestInput,
  options: Omit<AnswerOptions, 'workspaceId' | 'actor' | 'userId'> & {
    traceId: string;
    actor?: string;
  },
): Promise<GovernedAnswer> {
  const ticket = await keel.quotas.reserve(caller, options.traceId).catch((error: unknown) => {
    if (error instanceof QuotaExceededError) {
      const { scope, period, metric } = error.details as unknown as QuotaExceededDetails;
      keel.metrics?.quotaRefusals.inc({ scope, period, metric });
    }
    throw error;
  });
  try {
    const result = await keel.answers.answer(question, {
      ...options,
      workspaceId: caller.workspaceId,
      actor: options.actor ?? actorFor(caller),
      // An API key acts for an integration, not a person: it neither reads nor makes memories.
      ...(!('kind' in caller && caller.kind === 'api-key') && { userId: caller.userId }),
    });
    keel.metrics?.governorDecisions.inc({ status: result.decision.status });
    await ticket.settle({ provider: result.provider, model: result.model, usage: result.usage });
    return result;
  } catch (error) {
    if (isKeelError(error) && error.code === 'input_refused')
      keel.metrics?.governorDecisions.inc({ status: 'refused' });
    await ticket.release();
    throw error;
  }
}

/** What a model call other than a governed answer reports back, for the usage ledger. */
export interface ModelCallOutcome<T> {
  value: T;
  provider: string;
  model: string;
  /** Zero when the provider does not report tokens: the call is still counted. */
  usage: TokenUsage;
}

/**
 * Any other model call made for a caller (an image from an `images` job), its prompt already
 * through `checkInput`: the quota is reserved before the call and the call's usage recorded after
 * it, or the reservation released when the call fails.
 *
 * @example
 *   const prompt = await checkInput(keel.answers, payload.prompt, id);
 *   const image = await meteredModelCall(keel.quotas, jobCaller(payload), { traceId: id },
 *     async () => ({ value: await provider.generate({ prompt, size }), provider: 'openai',
 *       model: 'dall-e-3', usage: { inputTokens: 0, outputTokens: 0 } }));
 */
export async function meteredModelCall<T>(
  quotas: QuotaService,
  caller: Caller,
  options: { traceId: string },
  call: () => Promise<ModelCallOutcome<T>>,
): Promise<T> {
  const ticket = await quotas.reserve(caller, options.traceId);
  try {
    const outcome = await call();
    await ticket.settle(outcome);
    return outcome.value;
  } catch (error) {
    await ticket.release();
    throw error;
  }
}

/**
 * The input policy on a prompt sent to a model outside a governed answer: the text the model may
 * see (personal data redacted as the policy says), or `input_refused`, the error a refused chat
 * message raises — not retryable, so a job refused here is dead at once.
 *
 * @example
 *   const prompt = await checkInput(keel.answers, payload.prompt, jobId);
 */
export async function checkInput(
  answers: Pick<Answerer, 'check'>,
  prompt: string,
  traceId: string,
): Promise<string> {
  const check = await answers.check(prompt);
  if (check.decision.status !== 'refused') return check.redactedText;
  const refusing = check.steps.find((step) => step.decision === 'refused');
  throw new PolicyRefusalError(
    'input_refused',
    `The input policy refused the prompt: ${check.decision.reasons.join('; ') || 'no reason given'}`,
    {
      reason: refusing?.id ?? 'refused',
      decision: check.decision,
      policy: check.policy,
      traceId,
    },
  );
}
