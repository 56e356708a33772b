import { api } from '../api/client';
import type { ConversationSummary } from '../api/types';
import { ConfirmButton } from '../ui/confirm-button';
import { formatDate } from '../ui/format';
import { href } from '../ui/router';
import { Async, Empty } from '../ui/states';
import type { Resource } from '../ui/use-resource';

export function loadConversations(signal: AbortSignal) {
  return api<{ conversations: ConversationSummary[] }>('/v1/conversations', {
    query: { limit: 50 },
    signal,
  });
}

/** Your earlier conversations, newest first. */
export function ConversationList({
  resource,
  activeId,
  onDeleted,
}: {
  resource: Resource<{ conversations: ConversationSummary[] }>;
  activeId: string | undefined;
  onDeleted(id: string): void;
}) {
  async function remove(conversation: ConversationSummary) {
    await api(`/v1/conversations/${encodeURIComponent(conversation.id)}`, { method: 'DELETE' });
    onDeleted(conversation.id);
  }
  return (
    <nav className="conversations" aria-label="Conversation history">
      <a className="button primary new-chat" href={href('chat')} aria-keyshortcuts="Alt+N">
        + New chat
      </a>
      <Async resource={resource} label="Loading conversations…">
        {({ conversations }) =>
          conversations.length === 0 ? (
            <Empty>No conversations yet.</Empty>
          ) : (
            <ul>
              {conversations.map((conversation) => (
                <li key={conversation.id} className={conversation.id === activeId ? 'active' : ''}>
                  <a
                    href={href('chat', conversation.id)}
                    aria-current={conversation.id === activeId ? 'page' : undefined}
                  >
                    <span className="title">{conversation.title || 'Untitled'}</span>
                    <span className="hint">
                      {formatDate(conversation.updatedAt)} · {conversation.messageCount} messages
                    </span>
                  </a>
                  <ConfirmButton
                    className="icon"
                    question={`Delete the conversation "${conversation.title}"?`}
                    onConfirm={() => remove(conversation)}
                    label={`Delete conversation ${conversation.title}`}
                  >
                    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
                      <path d="M6 2h4l1 1h3v2H2V3h3zM3 6h10l-1 9H4z" fill="currentColor" />
                    </svg>
                  </ConfirmButton>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </nav>
  );
}
