import type { Passage } from '../../providers/provider.js';
import type { SearchService } from '../../search/search-service.js';
import type { KnowledgeStore } from '../../store/store.js';
import { scopedSources } from '../scoped-sources.js';
import type { GovernorStep } from '../step.js';

/**
 * Hybrid search inside the agent's knowledge scopes, packed to the policy's token budget.
 * An agent whose scopes name no existing source retrieves nothing rather than everything.
 */
export function createRetrievalStep(deps: {
  search: SearchService;
  store: KnowledgeStore;
}): GovernorStep {
  return {
    id: 'retrieval',
    async run(context) {
      const scopes = context.agent?.knowledge.scopes ?? [];
      const inScope = await scopedSources(context, deps.store);
      for (const source of inScope) {
        if (source.version) context.knowledgeVersions[source.name] = source.version;
      }
      const { k: policyK, tokenBudget } = context.bundle.policy.retrieval;
      const hits =
        inScope.length === 0
          ? []
          : await deps.search.search(context.input, {
              k: context.request.k ?? policyK,
              sourceIds: inScope.map((source) => source.id),
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
      context.passages = passages;
      return {
        decision: `${passages.length} passages`,
        reasons: [
          `scopes: ${scopes.length === 0 ? 'all' : scopes.join(', ')}`,
          `tokens: ${used}/${tokenBudget}`,
        ],
      };
    },
  };
}
