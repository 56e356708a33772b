import { actorOf } from '../auth/actor.js';
import type { Principal } from '../auth/principal.js';
import { isKeelError } from '../errors.js';
import type { AnswerOptions, Answerer } from '../governor/answerer.js';
import type { ChatRequestInput, GovernedAnswer } from '../governor/governor.js';
import type { Metrics } from '../telemetry/metrics.js';
import { QuotaExceededError, type QuotaExceededDetails } from './errors.js';
import type { QuotaService } from './quotas.js';

/**
 * One governed answer on behalf of a caller, as every public entry point asks it (`/v1/chat`,
 * `/v1/chat/completions`, MCP `ask`): the quota is reserved first and settled with the real usage
 * (or released when no model was reached), and the final decision is counted.
 *
 * @example
 *   const answer = await governedCall(keel, request.principal, { message: 'What is Keel?' }, { traceId });
 */
export async function governedCall(
  keel: {
    answers: Answerer;
    quotas: QuotaService;
    metrics: Pick<Metrics, 'governorDecisions' | 'quotaRefusals'>;
  },
  principal: Principal,
  question: ChatRequestInput,
  options: Omit<AnswerOptions, 'workspaceId' | 'actor' | 'userId'> & {
    traceId: string;
    actor?: string;
  },
): Promise<GovernedAnswer> {
  const ticket = await keel.quotas.reserve(principal, options.traceId).catch((error: unknown) => {
    if (error instanceof QuotaExceededError) {
      const { scope, period, metric } = error.details as unknown as QuotaExceededDetails;
      keel.metrics.quotaRefusals.inc({ scope, period, metric });
    }
    throw error;
  });
  try {
    const result = await keel.answers.answer(question, {
      ...options,
      workspaceId: principal.workspaceId,
      actor: options.actor ?? actorOf(principal),
      // An API key acts for an integration, not a person: it neither reads nor makes memories.
      ...(principal.kind !== 'api-key' && { userId: principal.userId }),
    });
    keel.metrics.governorDecisions.inc({ status: result.decision.status });
    await ticket.settle({ provider: result.provider, model: result.model, usage: result.usage });
    return result;
  } catch (error) {
    if (isKeelError(error) && error.code === 'input_refused')
      keel.metrics.governorDecisions.inc({ status: 'refused' });
    await ticket.release();
    throw error;
  }
}
