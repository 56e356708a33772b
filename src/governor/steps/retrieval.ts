import type { Passage } from '../../providers/provider.js';
import type { SearchService } from '../../search/search-service.js';
import type { Source } from '../../store/store.js';
import type { Agent } from '../policy-bundle.js';
import type { Step } from '../step.js';

export interface Retrieved {
  passages: Passage[];
  /** Source name → synced version of every source in the agent's scopes. */
  knowledgeVersions: Record<string, string>;
}

/**
 * Hybrid search inside the agent's knowledge scopes (`sources`, see `scoped-sources.ts`), packed
 * to the policy's token budget. An agent whose scopes name no existing source retrieves nothing
 * rather than everything.
 */
export function createRetrievalStep(deps: {
  search: SearchService;
}): Step<{ agent: Agent; text: string; sources: Source[] }, Retrieved> {
  return {
    id: 'retrieval',
    async run({ agent, text, sources }, call) {
      const { scopes } = agent.knowledge;
      const knowledgeVersions: Record<string, string> = {};
      for (const source of sources) {
        if (source.version) knowledgeVersions[source.name] = source.version;
      }
      const { k: policyK, tokenBudget } = call.bundle.policy.retrieval;
      const hits =
        sources.length === 0
          ? []
          : await deps.search.search(text, {
              k: call.request.k ?? policyK,
              sourceIds: sources.map((source) => source.id),
            });
      let used = 0;
      const passages: Passage[] = [];
      for (const hit of hits) {
        if (passages.length > 0 && used + hit.chunk.tokenCount > tokenBudget) break;
        used += hit.chunk.tokenCount;
        passages.push({
          index: passages.length + 1,
          chunkId: hit.chunk.id,
          path: hit.chunk.path,
          heading: hit.chunk.heading,
          lines: [hit.chunk.lineStart, hit.chunk.lineEnd],
          version: hit.chunk.version,
          score: hit.score,
          text: hit.chunk.text,
        });
      }
      return {
        decision: `${passages.length} passages`,
        reasons: [
          `scopes: ${scopes.length === 0 ? 'all' : scopes.join(', ')}`,
          `tokens: ${used}/${tokenBudget}`,
        ],
        output: { passages, knowledgeVersions },
      };
    },
  };
}
