/**
 * Chat history: one user's conversations and their messages. Every read and write names the
 * owner, so a conversation of someone else is simply not found.
 *
 * @example
 *   const conversation = await store.conversations.create({ workspaceId, userId, title: 'Hi' });
 *   await store.conversations.append(conversation.id, userId, [{ role: 'user', content: 'Hi' }]);
 */
export interface Conversation {
  id: string;
  workspaceId: string;
  userId: string;
  title: string;
  agent: string | null;
  messageCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  /** The answer's citations as the API returned them (empty for user messages). */
  citations: unknown[];
  /** The governor's decision: status and reasons (a refusal's reason included). */
  decision: { status: string; reasons: string[] } | null;
  agent: string | null;
  traceId: string | null;
  createdAt: string;
}

export type NewMessage = Pick<ConversationMessage, 'role' | 'content'> &
  Partial<Pick<ConversationMessage, 'citations' | 'decision' | 'agent' | 'traceId'>>;

/** Where a listing continues: the last row's `updatedAt` and id (newest first). */
export interface ConversationCursor {
  updatedAt: string;
  id: string;
}

export interface ConversationStore {
  create(input: {
    workspaceId: string;
    userId: string;
    title: string;
    agent?: string | null;
    at?: string;
  }): Promise<Conversation>;
  /** The conversation if `userId` owns it. */
  get(id: string, userId: string): Promise<Conversation | undefined>;
  /** Newest activity first; at most `limit`, after `cursor`. */
  list(
    userId: string,
    options: { limit: number; after?: ConversationCursor },
  ): Promise<Conversation[]>;
  /** Appends in order and bumps `updatedAt` and the count; false when `userId` does not own it. */
  append(id: string, userId: string, messages: NewMessage[], at?: string): Promise<boolean>;
  messages(id: string, userId: string): Promise<ConversationMessage[]>;
  /** False when there was nothing of `userId`'s to delete. */
  delete(id: string, userId: string): Promise<boolean>;
}
