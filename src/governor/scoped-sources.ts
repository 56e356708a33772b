import type { KnowledgeStore, Source } from '../store/store.js';
import type { GovernorContext } from './step.js';

/**
 * The knowledge sources the call's agent may read: its scopes, or every source of the workspace
 * when it names none. The answer cache (for its key) and retrieval both need them; the list is
 * read once per call, so the two always agree and the database is asked once.
 *
 * @example
 *   const sources = await scopedSources(context, store);
 */
export function scopedSources(context: GovernorContext, store: KnowledgeStore): Promise<Source[]> {
  context.scopedSources ??= store.listSources(context.workspaceId).then((sources) => {
    const scopes = context.agent?.knowledge.scopes ?? [];
    return scopes.length === 0 ? sources : sources.filter((source) => scopes.includes(source.name));
  });
  return context.scopedSources;
}
