import { useState } from 'react';
import type { Citation } from '../api/schemas';
import { Markdown } from '../markdown/markdown';
import type { ChatMessage } from './use-chat';
import { DecisionBanner } from './decision-banner';
import { href } from '../ui/router';
import { FormError } from '../ui/states';

export interface MessageViewProps {
  message: ChatMessage;
  selected: Citation | undefined;
  onCite(citation: Citation): void;
  onRetry(question: string): void;
  canRetry: boolean;
}

function CitationChip({
  citation,
  active,
  onCite,
}: {
  citation: Citation;
  active: boolean;
  onCite(citation: Citation): void;
}) {
  return (
    <button
      type="button"
      className={`chip${active ? ' active' : ''}`}
      aria-pressed={active}
      aria-label={`Citation ${citation.index}: ${citation.path}, ${citation.heading}, lines ${citation.lines[0]}–${citation.lines[1]}`}
      onClick={() => onCite(citation)}
    >
      {citation.index}
    </button>
  );
}

/** One message: the text (Markdown, citations as chips), the governor's decision, copy/retry. */
export function MessageView({ message, selected, onCite, onRetry, canRetry }: MessageViewProps) {
  const [copied, setCopied] = useState(false);
  if (message.role === 'user')
    return (
      <article className="message user" aria-label="You asked">
        <p>{message.content}</p>
      </article>
    );

  const byIndex = new Map(message.citations.map((citation) => [citation.index, citation]));
  const chip = (index: number) => {
    const citation = byIndex.get(index);
    return citation ? (
      <CitationChip citation={citation} active={selected === citation} onCite={onCite} />
    ) : undefined;
  };
  async function copy() {
    await navigator.clipboard.writeText(message.content).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  }

  return (
    <article className="message assistant" aria-label="Answer" aria-busy={message.streaming}>
      <DecisionBanner decision={message.decision} flags={message.flags} />
      {message.content ? (
        <Markdown text={message.content} renderCitation={message.streaming ? undefined : chip} />
      ) : message.streaming ? (
        <p className="typing" role="status">
          Thinking…
        </p>
      ) : null}
      <FormError message={message.error} />
      {message.citations.length > 0 && (
        <div className="sources">
          <span>Sources:</span>
          {message.citations.map((citation) => (
            <button
              key={citation.index}
              type="button"
              className={`source-chip${selected === citation ? ' active' : ''}`}
              aria-pressed={selected === citation}
              onClick={() => onCite(citation)}
            >
              [{citation.index}] {citation.path}
            </button>
          ))}
        </div>
      )}
      {!message.streaming && (
        <div className="message-actions">
          {message.content && (
            <button type="button" onClick={() => void copy()} aria-label="Copy answer">
              {copied ? 'Copied' : 'Copy'}
            </button>
          )}
          {message.question && (
            <button
              type="button"
              onClick={() => onRetry(message.question ?? '')}
              disabled={!canRetry}
              aria-label="Ask this question again"
            >
              Retry
            </button>
          )}
          {message.agent && <span className="hint">agent: {message.agent}</span>}
          {message.memories && message.memories.length > 0 && (
            <details className="used-memories hint">
              <summary>
                used {message.memories.length}{' '}
                {message.memories.length === 1 ? 'memory' : 'memories'}
              </summary>
              <ul aria-label="Memories used for this answer">
                {message.memories.map((memory) => (
                  <li key={memory.id}>{memory.text}</li>
                ))}
              </ul>
              <a href={href('memory')}>Manage memories</a>
            </details>
          )}
          {message.provider === 'extractive' && (
            <span
              className="hint"
              title="Quoted from your documents by Keel's built-in composer; no language model is configured"
            >
              composed without a language model
            </span>
          )}
        </div>
      )}
    </article>
  );
}
