import type { EmbeddingProvider } from '../../providers/provider.js';
import { recallMemories } from '../../memory/recall.js';
import type { MemoryStore } from '../../store/memory-store.js';
import type { GovernorStep } from '../step.js';

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
}): GovernorStep {
  return {
    id: 'memory',
    async run(context) {
      if (!context.userId) return { decision: 'skipped', reasons: ['no user'] };
      const setting = context.agent?.memory;
      if (!setting?.enabled) return { decision: 'off', reasons: ['agent policy'] };
      const scope = { workspaceId: context.workspaceId, userId: context.userId };
      if (!(await deps.memories.enabled(scope)))
        return { decision: 'off', reasons: ['user setting'] };
      const memories = await deps.memories.list(scope, { limit: MEMORIES_CONSIDERED });
      if (memories.length === 0) return { decision: '0 memories' };
      let questionEmbedding: number[] | undefined;
      if (deps.embedder && memories.some((memory) => memory.embedding)) {
        // Without the vector ranking the lexical one still answers; a slow embedder never fails a chat.
        questionEmbedding = await deps.embedder
          .embed([context.input], context.signal ? { signal: context.signal } : {})
          .then((vectors) => vectors[0])
          .catch((error: unknown) => {
            deps.onEmbeddingError?.(error);
            return undefined;
          });
      }
      context.memories = recallMemories(memories, context.input, {
        k: setting.k,
        questionEmbedding,
      });
      return {
        decision: `${context.memories.length} of ${memories.length} memories`,
        reasons: context.memories.map((memory) => memory.id),
      };
    },
  };
}
