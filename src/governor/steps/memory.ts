import type { EmbeddingProvider } from '../../providers/provider.js';
import { type RecalledMemory, recallMemories } from '../../memory/recall.js';
import type { MemoryStore } from '../../store/memory-store.js';
import type { Agent } from '../policy-bundle.js';
import type { Step } from '../step.js';

/** A user's memories considered per answer: the newest this many, ranked by relevance. */
const MEMORIES_CONSIDERED = 500;

/**
 * Recalls what this user told the agent before (their memories in this workspace) that bears on
 * the question, for the prompt's `<user-memory>` block and the answer's `memories`. Skipped for
 * callers that are not a person (API keys), agents whose policy turns memory off, and users who
 * turned it off. The audit record names the memories by id, never by text.
 */
export function createMemoryStep(deps: {
  memories: MemoryStore;
  embedder?: EmbeddingProvider | undefined;
  onEmbeddingError?: (error: unknown) => void;
}): Step<{ agent: Agent; text: string }, RecalledMemory[]> {
  return {
    id: 'memory',
    async run({ agent, text }, call) {
      if (!call.userId) return { decision: 'skipped', reasons: ['no user'], output: [] };
      const setting = agent.memory;
      if (!setting?.enabled) return { decision: 'off', reasons: ['agent policy'], output: [] };
      const scope = { workspaceId: call.workspaceId, userId: call.userId };
      if (!(await deps.memories.enabled(scope)))
        return { decision: 'off', reasons: ['user setting'], output: [] };
      const memories = await deps.memories.list(scope, { limit: MEMORIES_CONSIDERED });
      if (memories.length === 0) return { decision: '0 memories', output: [] };
      let questionEmbedding: number[] | undefined;
      if (deps.embedder && memories.some((memory) => memory.embedding)) {
        // Without the vector ranking the lexical one still answers; a slow embedder never fails a chat.
        questionEmbedding = await deps.embedder
          .embed([text], call.signal ? { signal: call.signal } : {})
          .then((vectors) => vectors[0])
          .catch((error: unknown) => {
            deps.onEmbeddingError?.(error);
            return undefined;
          });
      }
      const recalled = recallMemories(memories, text, { k: setting.k, questionEmbedding });
      return {
        decision: `${recalled.length} of ${memories.length} memories`,
        reasons: recalled.map((memory) => memory.id),
        output: recalled,
      };
    },
  };
}
