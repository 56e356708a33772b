import type { KnowledgeStore, Source } from '../store/store.js';
import type { Agent } from './policy-bundle.js';

/**
 * The knowledge sources the call's agent may read: its scopes, or every source of the workspace
 * when it names none. The answer cache (for its key) and retrieval both need them; the governor
 * reads them once per call and hands them to both, so the two always agree.
 *
 * @example
 *   const sources = await scopedSources(store, call.workspaceId, agent);
 */
export async function scopedSources(
  store: KnowledgeStore,
  workspaceId: string,
  agent: Agent,
): Promise<Source[]> {
  const sources = await store.listSources(workspaceId);
  const { scopes } = agent.knowledge;
  return scopes.length === 0 ? sources : sources.filter((source) => scopes.includes(source.name));
}
