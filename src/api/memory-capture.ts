import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { GovernedAnswer } from '../governor/governor.js';
import type { PolicyService } from '../governor/policy-service.js';
import type { JobQueue } from '../jobs/queue.js';
import type { MemoryStore } from '../store/memory-store.js';

/**
 * After an answered chat turn of a person, queues the extraction of what they said about
 * themselves (the `memory` queue), unless the agent's policy or the user turned memory off. One
 * job per turn (keyed by the trace id); a queue outage never fails the chat that was answered.
 */
export type CaptureMemories = (
  principal: Principal,
  turn: { answer: GovernedAnswer; conversationId: string },
) => Promise<void>;

/** Memory capture over the job queue, the agents' policy and the users' memory switch. */
export function memoryCapturer(deps: {
  jobs: Pick<JobQueue, 'enqueue'>;
  policies: Pick<PolicyService, 'current'>;
  memories: Pick<MemoryStore, 'enabled'>;
  logger: Pick<Logger, 'warn'>;
}): CaptureMemories {
  return async (principal, turn) => {
    if (principal.kind === 'api-key' || !turn.answer.agent) return;
    try {
      const bundle = await deps.policies.current();
      const agent = bundle.agents.find((candidate) => candidate.id === turn.answer.agent);
      if (!agent?.memory.enabled) return;
      const scope = { workspaceId: principal.workspaceId, userId: principal.userId };
      if (!(await deps.memories.enabled(scope))) return;
      await deps.jobs.enqueue(
        'memory',
        { ...scope, agentId: agent.id, conversationId: turn.conversationId },
        { jobId: `memory-${turn.answer.traceId}` },
      );
    } catch (error) {
      deps.logger.warn(
        { err: (error as Error).message, traceId: turn.answer.traceId },
        'could not queue memory extraction',
      );
    }
  };
}
