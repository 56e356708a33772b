import { useEffect, useRef } from 'react';
import { api } from '../api/client';
import type { Citation } from '../api/schemas';
import type { SearchHit } from '../api/types';
import { Async } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { shortVersion } from '../ui/format';

/**
 * The passage a citation points at. The API has no "chunk by id" route, so the passage is found
 * by searching its heading and picking the hit with the same path and line range.
 */
async function findPassage(citation: Citation, signal: AbortSignal): Promise<SearchHit | null> {
  const query = citation.heading.replace(/[>#*_`[\]]/g, ' ').trim() || citation.path;
  const { hits } = await api<{ hits: SearchHit[] }>('/v1/kb/search', {
    query: { q: query.slice(0, 500), k: 25 },
    signal,
  });
  const [from, to] = citation.lines;
  return (
    hits.find(
      (hit) => hit.path === citation.path && hit.lines[0] === from && hit.lines[1] === to,
    ) ??
    hits.find((hit) => hit.path === citation.path && hit.lines[0] <= to && hit.lines[1] >= from) ??
    null
  );
}

export function CitationPanel({ citation, onClose }: { citation: Citation; onClose(): void }) {
  const passage = useResource((signal) => findPassage(citation, signal), [citation]);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
  }, [citation]);

  return (
    <aside className="citation-panel" aria-label={`Cited passage ${citation.index}`}>
      <header>
        <h2>Source [{citation.index}]</h2>
        <button
          ref={closeRef}
          type="button"
          onClick={onClose}
          aria-label="Close the cited passage (Esc)"
        >
          ✕
        </button>
      </header>
      <dl className="citation-meta">
        <dt>Path</dt>
        <dd>
          <code>{citation.path}</code>
        </dd>
        <dt>Heading</dt>
        <dd>{citation.heading}</dd>
        <dt>Lines</dt>
        <dd>
          {citation.lines[0]}–{citation.lines[1]}
        </dd>
        <dt>Version</dt>
        <dd>
          <code>{shortVersion(citation.version)}</code>
        </dd>
        {citation.score !== undefined && (
          <>
            <dt>Score</dt>
            <dd>{citation.score.toFixed(2)}</dd>
          </>
        )}
      </dl>
      <Async resource={passage} label="Loading the passage…">
        {(hit) =>
          hit ? (
            <>
              {hit.version !== citation.version && (
                <p className="hint">
                  The source has changed since this answer (now {shortVersion(hit.version)}).
                </p>
              )}
              <pre className="passage" tabIndex={0} aria-label="Passage text">
                {hit.text}
              </pre>
            </>
          ) : (
            <p className="hint">
              The passage is no longer in the knowledge base (the source may have been re-synced).
            </p>
          )
        }
      </Async>
    </aside>
  );
}
