import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { Citation } from '../api/schemas';
import type { PolicyOverview } from '../api/types';
import { navigate } from '../ui/router';
import { Empty, ErrorState, Loading } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { CitationPanel } from './citation-panel';
import { ConversationList, loadConversations } from './conversation-list';
import { MessageView } from './message-view';
import { useChat } from './use-chat';
import { atLeast, useSession } from '../auth/session';
import { UploadList } from '../knowledge/upload-drop';
import { useUploads } from '../knowledge/use-uploads';

interface ExampleQuestions {
  questions: { question: string; path: string; heading: string }[];
}

/**
 * Chat. Keyboard: Enter sends, Shift+Enter is a new line, Esc closes the passage or stops the
 * answer, "/" focuses the question box, Alt+N starts a new chat.
 */
export function ChatPage({ conversationId }: { conversationId: string | undefined }) {
  const history = useResource(loadConversations, []);
  const policies = useResource((signal) => api<PolicyOverview>('/v1/policies', { signal }), []);
  // After each answer the history shows the new message count; a new conversation gets its URL.
  const onSettled = useCallback(
    (createdId: string | undefined) => {
      history.reload();
      if (createdId) navigate('chat', createdId);
    },
    [history.reload],
  );
  const chat = useChat(conversationId, onSettled);
  const { me } = useSession();
  const examples = useResource(
    (signal) => api<ExampleQuestions>('/v1/kb/examples', { query: { limit: 4 }, signal }),
    [],
  );
  // An attached file joins the workspace's knowledge (uploads need a manager), so every later
  // question in any conversation of the workspace can draw on it; it is not private to this chat.
  const canAttach = atLeast(me, 'manager');
  const noop = useCallback(() => undefined, []);
  const attachments = useUploads(noop);
  const attachRef = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState('');
  const [agent, setAgent] = useState('');
  const [cited, setCited] = useState<Citation>();
  const [showHistory, setShowHistory] = useState(false);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const endRef = useRef<HTMLDivElement>(null);
  // The chip that opened the passage: closing it (Esc or ✕) puts focus back there, so a keyboard
  // user does not land on <body> and have to tab through the whole page again.
  const openerRef = useRef<HTMLElement | null>(null);
  const openCitation = useCallback((citation: Citation) => {
    if (document.activeElement instanceof HTMLElement) openerRef.current = document.activeElement;
    setCited(citation);
  }, []);
  const closeCitation = useCallback(() => {
    setCited(undefined);
    openerRef.current?.focus();
    openerRef.current = null;
  }, []);

  useEffect(() => {
    setCited(undefined);
  }, [conversationId]);
  // Braces matter: newer browsers return a Promise from scrollIntoView, and an effect may only
  // return a cleanup function.
  useEffect(() => {
    void endRef.current?.scrollIntoView({ block: 'end' });
  }, [chat.messages]);
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      const typing =
        event.target instanceof HTMLElement && event.target.closest('input, textarea, select');
      if (event.key === '/' && !typing) {
        event.preventDefault();
        inputRef.current?.focus();
      } else if (event.altKey && event.key.toLowerCase() === 'n') {
        event.preventDefault();
        navigate('chat');
        inputRef.current?.focus();
      } else if (event.key === 'Escape') {
        if (cited) closeCitation();
        else chat.stop();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [cited, chat.stop, closeCitation]);

  function submit() {
    if (!draft.trim() || chat.busy) return;
    void chat.send(draft, agent || undefined);
    setDraft('');
  }
  function onComposerKey(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  const agents = policies.data?.active.agents ?? [];
  return (
    <div className={`chat-layout${cited ? ' with-panel' : ''}`}>
      <div className={`history-column${showHistory ? ' open' : ''}`}>
        <button
          type="button"
          className="history-toggle"
          aria-expanded={showHistory}
          onClick={() => setShowHistory((open) => !open)}
        >
          {showHistory ? 'Hide history' : 'History'}
        </button>
        <ConversationList
          resource={history}
          activeId={conversationId}
          onDeleted={(id) => {
            history.reload();
            if (id === conversationId) navigate('chat');
          }}
        />
      </div>
      <section className="chat-main" aria-label="Chat">
        <div className="messages" aria-live="polite">
          {chat.loading && <Loading label="Loading the conversation…" />}
          {chat.loadError !== undefined && <ErrorState error={chat.loadError} />}
          {!chat.loading && chat.messages.length === 0 && chat.loadError === undefined && (
            <Empty>
              Ask a question about your knowledge base. Answers cite their sources; press a numbered
              chip to read the passage.
              {(examples.data?.questions.length ?? 0) > 0 && (
                <span className="examples" role="group" aria-label="Example questions">
                  {examples.data?.questions.map((example) => (
                    <button
                      key={example.question}
                      type="button"
                      className="example"
                      title={`From ${example.path}`}
                      onClick={() => void chat.send(example.question, agent || undefined)}
                      disabled={chat.busy}
                    >
                      {example.question}
                    </button>
                  ))}
                </span>
              )}
            </Empty>
          )}
          {chat.messages.map((message) => (
            <MessageView
              key={message.id}
              message={message}
              selected={cited}
              onCite={openCitation}
              onRetry={(question) => void chat.send(question, agent || undefined)}
              canRetry={!chat.busy}
            />
          ))}
          <div ref={endRef} />
        </div>
        <form
          className="composer"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <label className="visually-hidden" htmlFor="question">
            Your question
          </label>
          <textarea
            id="question"
            ref={inputRef}
            rows={2}
            placeholder="Ask a question…  (Enter to send, Shift+Enter for a new line)"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={onComposerKey}
            autoFocus
            aria-keyshortcuts="/"
          />
          <div className="composer-row">
            <label>
              Agent{' '}
              <select value={agent} onChange={(event) => setAgent(event.target.value)}>
                <option value="">Automatic</option>
                {agents.map((option) => (
                  <option key={option.id} value={option.id} title={option.description}>
                    {option.id}
                    {option.default ? ' (default)' : ''}
                  </option>
                ))}
              </select>
            </label>
            {canAttach && (
              <>
                <button
                  type="button"
                  onClick={() => attachRef.current?.click()}
                  title="Adds the file to the workspace's knowledge, for every conversation"
                >
                  Attach file
                </button>
                <input
                  ref={attachRef}
                  className="visually-hidden"
                  type="file"
                  multiple
                  accept=".md,.markdown,.txt,.json,.jsonl,.html,.htm,.pdf,.docx"
                  aria-label="File to add to the knowledge base"
                  onChange={(event) => {
                    void attachments.add([...(event.target.files ?? [])]);
                    event.target.value = '';
                  }}
                />
              </>
            )}
            {chat.busy ? (
              <button type="button" onClick={chat.stop} aria-keyshortcuts="Escape">
                Stop
              </button>
            ) : (
              <button type="submit" className="primary" disabled={!draft.trim()}>
                Send
              </button>
            )}
          </div>
          <UploadList items={attachments.items} />
        </form>
      </section>
      {cited && <CitationPanel citation={cited} onClose={closeCitation} />}
    </div>
  );
}
