/**
 * Long-term memory: what users said about themselves, kept per user and workspace. Every read
 * and write names both, so a memory of someone else is simply not found.
 *
 * @example
 *   await store.memories.remember([{ id, workspaceId, userId, agentId, kind, text, ... }]);
 *   const mine = await store.memories.list({ workspaceId, userId }, { limit: 100 });
 */
export interface MemoryScope {
  workspaceId: string;
  userId: string;
}

export type MemoryKind = 'preference' | 'fact' | 'instruction';

export interface Memory extends MemoryScope {
  /** `mem_…`, derived from the scope and the normalised text: the same fact twice is one memory. */
  id: string;
  /** The agent whose conversation it was learned in. */
  agentId: string;
  kind: MemoryKind;
  text: string;
  conversationId: string;
  messageId: string;
  createdAt: string;
  /** The text's embedding when an embedding provider was configured at extraction. */
  embedding: number[] | null;
}

export interface MemoryStore {
  /**
   * Stores the memories not yet known; a memory its user deleted stays deleted (its id is kept
   * as a tombstone without the text). Returns how many were new.
   */
  remember(memories: Memory[]): Promise<number>;
  /** Newest first, at most `limit`; never deleted ones. */
  list(scope: MemoryScope, options: { limit: number }): Promise<Memory[]>;
  /** False when the scope has no such memory. The text is dropped, the id kept as a tombstone. */
  forget(scope: MemoryScope, id: string): Promise<boolean>;
  /** Forgets every memory of the scope; returns how many. */
  forgetAll(scope: MemoryScope): Promise<number>;
  /** The user's own switch; on unless they turned it off. */
  enabled(scope: MemoryScope): Promise<boolean>;
  setEnabled(scope: MemoryScope, enabled: boolean): Promise<void>;
}
