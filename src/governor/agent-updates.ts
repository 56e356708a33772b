import type { RealtimeAnnouncer } from '../events/realtime.js';
import type { PolicyActivation } from '../store/store.js';
import type { PolicyBundle } from './policy-bundle.js';
import type { PolicyService } from './policy-service.js';

/** The realtime topic of one agent of the installation's policy. */
export const agentTopic = (id: string) => `agent:${id}`;

export type AgentChange = 'added' | 'changed' | 'removed';

/**
 * What an activation changed for each agent: its definition, or the policy every agent runs
 * under (input and output rules), so a policy-only change updates every agent.
 */
export function agentChanges(
  before: PolicyBundle | undefined,
  after: PolicyBundle,
): { agentId: string; change: AgentChange }[] {
  const policyChanged = JSON.stringify(before?.policy) !== JSON.stringify(after.policy);
  const old = new Map((before?.agents ?? []).map((agent) => [agent.id, JSON.stringify(agent)]));
  const changes: { agentId: string; change: AgentChange }[] = [];
  for (const agent of after.agents) {
    const previous = old.get(agent.id);
    old.delete(agent.id);
    if (previous === undefined) changes.push({ agentId: agent.id, change: 'added' });
    else if (policyChanged || previous !== JSON.stringify(agent)) {
      changes.push({ agentId: agent.id, change: 'changed' });
    }
  }
  for (const agentId of old.keys()) changes.push({ agentId, change: 'removed' });
  return changes;
}

/**
 * Announces `agent-updated` on each agent's topic when this process activates (or rolls back to)
 * a policy version that changes it; announced where the activation is made, so once.
 *
 * @example
 *   announceAgentUpdates(policies, realtime);
 */
export function announceAgentUpdates(policies: PolicyService, announcer: RealtimeAnnouncer): void {
  policies.onActivation((activation) => {
    // The activation stands whatever happens here; a version that no longer compiles has no agents
    // to announce.
    announce(policies, announcer, activation).catch(() => undefined);
  });
}

async function announce(
  policies: PolicyService,
  announcer: RealtimeAnnouncer,
  activation: PolicyActivation,
): Promise<void> {
  const after = await policies.bundle(activation.version);
  const before = activation.previousVersion
    ? await policies.bundle(activation.previousVersion).catch(() => undefined)
    : undefined;
  for (const { agentId, change } of agentChanges(before, after)) {
    await announcer.announce(agentTopic(agentId), 'agent-updated', {
      agentId,
      change,
      policyVersion: activation.version,
      previousVersion: activation.previousVersion,
      action: activation.action,
      activatedAt: activation.activatedAt,
    });
  }
}
