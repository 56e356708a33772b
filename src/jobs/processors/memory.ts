import { createHash } from 'node:crypto';
import { NotFoundError } from '../../errors.js';
import type { InputCheck } from '../../governor/governor.js';
import type { PolicyBundle } from '../../governor/policy-bundle.js';
import { admitMemory } from './memory-admission.js';
import type { EmbeddingProvider } from '../../providers/provider.js';
import type { ConversationStore } from '../../store/conversation-store.js';
import type { Memory, MemoryStore } from '../../store/memory-store.js';
import type { JobProcessor } from '../queue.js';
import { extractMemories } from './memory-extraction.js';

export interface MemoryDependencies {
  conversations: ConversationStore;
  memories: MemoryStore;
  /** The active policy: whether the agent keeps memories, and what the input policy blocks. */
  policy: () => Promise<PolicyBundle>;
  /** The input policy dry-run (`Governor.check`): what may be stored. */
  check: (text: string) => Promise<InputCheck>;
  /** Embeds each stored memory, so recall can rank by meaning; lexical recall works without. */
  embedder?: EmbeddingProvider | undefined;
}

/** One id per user, workspace and fact: unguessable from outside, equal for a repeated fact. */
export function memoryId(scope: { workspaceId: string; userId: string }, factId: string): string {
  const hash = createHash('sha256')
    .update(`${scope.workspaceId}\u0000${scope.userId}\u0000${factId}`)
    .digest('hex');
  return `mem_${hash.slice(0, 24)}`;
}

/**
 * Long-term memory extraction (Arbor & Kumori's `memory-processing` queue): reads the user's
 * conversation and stores what they said about themselves, as far as the input policy allows,
 * in the store's memories of that user and workspace. Re-running is safe: a memory is keyed by
 * its scope and normalised text, so a retried or duplicated job adds nothing, a later run adds
 * only new statements, and a memory its user deleted is not brought back.
 */
export function createMemoryProcessor(dependencies: MemoryDependencies): JobProcessor<'memory'> {
  return async ({ payload, signal, report }) => {
    const { workspaceId, agentId, conversationId, userId } = payload;
    const scope = { workspaceId, userId };
    const conversation = await dependencies.conversations.get(conversationId, userId);
    if (!conversation || conversation.workspaceId !== workspaceId) {
      throw new NotFoundError(
        'conversation_not_found',
        `No conversation ${conversationId} of this user in this workspace`,
        { conversationId },
      );
    }
    const bundle = await dependencies.policy();
    const agent = bundle.agents.find((candidate) => candidate.id === agentId);
    if (agent && !agent.memory.enabled) return { memories: 0, skipped: 'agent_memory_off' };
    if (!(await dependencies.memories.enabled(scope)))
      return { memories: 0, skipped: 'user_memory_off' };
    await report({ progress: 0.2, message: `Reading ${conversation.messageCount} messages` });
    const messages = await dependencies.conversations.messages(conversationId, userId);
    signal.throwIfAborted();
    const admitted: Memory[] = [];
    for (const item of extractMemories(messages)) {
      const text = await admitMemory(item.text, bundle.policy, dependencies.check);
      if (text === undefined) continue;
      admitted.push({
        id: memoryId(scope, item.id),
        workspaceId,
        userId,
        agentId,
        kind: item.kind,
        text,
        conversationId,
        messageId: item.messageId,
        createdAt: item.at,
        embedding: null,
      });
    }
    if (dependencies.embedder && admitted.length > 0) {
      await report({ progress: 0.6, message: `Embedding ${admitted.length} memories` });
      const vectors = await dependencies.embedder.embed(
        admitted.map((memory) => memory.text),
        { signal },
      );
      admitted.forEach((memory, index) => (memory.embedding = vectors[index] ?? null));
    }
    const added = await dependencies.memories.remember(admitted);
    return { memories: admitted.length, added };
  };
}
