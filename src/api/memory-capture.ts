import type { Principal } from '../auth/principal.js';
import type { GovernedAnswer } from '../governor/governor.js';
import type { Keel } from '../keel.js';

/**
 * After an answered chat turn of a person, queues the extraction of what they said about
 * themselves (the `memory` queue), unless the agent's policy or the user turned memory off. One
 * job per turn (keyed by the trace id); a queue outage never fails the chat that was answered.
 */
export async function captureMemories(
  keel: Pick<Keel, 'jobs' | 'policies' | 'store' | 'logger'>,
  principal: Principal,
  turn: { answer: GovernedAnswer; conversationId: string },
): Promise<void> {
  if (principal.kind === 'api-key' || !turn.answer.agent) return;
  try {
    const bundle = await keel.policies.current();
    const agent = bundle.agents.find((candidate) => candidate.id === turn.answer.agent);
    if (!agent?.memory.enabled) return;
    const scope = { workspaceId: principal.workspaceId, userId: principal.userId };
    if (!(await keel.store.memories.enabled(scope))) return;
    await keel.jobs.enqueue(
      'memory',
      { ...scope, agentId: agent.id, conversationId: turn.conversationId },
      { jobId: `memory-${turn.answer.traceId}` },
    );
  } catch (error) {
    keel.logger.warn(
      { err: (error as Error).message, traceId: turn.answer.traceId },
      'could not queue memory extraction',
    );
  }
}
