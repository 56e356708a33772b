import { z } from 'zod';
import type { BlobStore } from '../../blobs/blob-store.js';
import { NotFoundError } from '../../errors.js';
import type { ConversationStore } from '../../store/conversation-store.js';
import type { JobProcessor } from '../queue.js';
import { keySegment, putBlobJson, readBlobJson } from './blob-io.js';
import { extractMemories } from './memory-extraction.js';

export interface MemoryDependencies {
  conversations: ConversationStore;
  blobs: BlobStore;
  now?: () => number;
}

/**
 * One file per conversation, so jobs for different conversations of the same user never write
 * the same object; an agent's memory of a user is everything under the user's prefix.
 */
export const memoryPrefix = (workspaceId: string, agentId: string, userId: string) =>
  `memory/${keySegment('workspaceId', workspaceId)}/${keySegment('agentId', agentId)}/${keySegment('userId', userId)}/`;

const memoryFileSchema = z.object({
  conversationId: z.string(),
  extractedAt: z.string(),
  items: z.array(
    z.object({
      id: z.string(),
      text: z.string(),
      kind: z.enum(['preference', 'fact', 'instruction']),
      messageId: z.string(),
      at: z.string(),
    }),
  ),
});
export type MemoryFile = z.infer<typeof memoryFileSchema>;

/**
 * Long-term memory extraction (Arbor & Kumori's `memory-processing` queue): reads the user's
 * conversation and stores what they said about themselves under `memoryPrefix`. Re-running is
 * safe: the file for a conversation is rewritten whole from the conversation as it is now, so a
 * retried or duplicated job gives the same file, and a later run picks up new messages.
 */
export function createMemoryProcessor(dependencies: MemoryDependencies): JobProcessor<'memory'> {
  const now = dependencies.now ?? Date.now;
  return async ({ payload, signal, report }) => {
    const { workspaceId, agentId, conversationId, userId } = payload;
    const conversation = await dependencies.conversations.get(conversationId, userId);
    if (!conversation || conversation.workspaceId !== workspaceId) {
      throw new NotFoundError(
        'conversation_not_found',
        `No conversation ${conversationId} of this user in this workspace`,
        { conversationId },
      );
    }
    await report({ progress: 0.2, message: `Reading ${conversation.messageCount} messages` });
    const messages = await dependencies.conversations.messages(conversationId, userId);
    signal.throwIfAborted();
    const items = extractMemories(messages);
    const key = `${memoryPrefix(workspaceId, agentId, userId)}${keySegment('conversationId', conversationId)}.json`;
    const file: MemoryFile = {
      conversationId,
      extractedAt: new Date(now()).toISOString(),
      items,
    };
    await putBlobJson(dependencies.blobs, key, file);
    return { blobKey: key, memories: items.length };
  };
}

/** Everything an agent remembers of one user, oldest statement first, each fact once. */
export async function readMemories(
  blobs: BlobStore,
  scope: { workspaceId: string; agentId: string; userId: string },
): Promise<MemoryFile['items']> {
  const prefix = memoryPrefix(scope.workspaceId, scope.agentId, scope.userId);
  const seen = new Map<string, MemoryFile['items'][number]>();
  let cursor: string | undefined;
  do {
    const page = await blobs.list(prefix, cursor ? { cursor } : {});
    for (const item of page.items) {
      const file = await readBlobJson(blobs, item.key, memoryFileSchema);
      for (const memory of file?.items ?? []) if (!seen.has(memory.id)) seen.set(memory.id, memory);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return [...seen.values()].sort((left, right) => left.at.localeCompare(right.at));
}
