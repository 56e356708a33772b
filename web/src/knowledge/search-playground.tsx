import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import type { SearchHit } from '../api/types';
import { DataTable } from '../ui/data-table';
import { Empty, ErrorState, Loading } from '../ui/states';

const score = (value: number | null) => (value === null ? '—' : value.toFixed(3));

/** Try a query and see each hit's lexical, vector and fused scores. */
export function SearchPlayground() {
  const [query, setQuery] = useState('');
  const [k, setK] = useState(10);
  const [result, setResult] = useState<{ hits: SearchHit[]; mode: string }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!query.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      setResult(await api('/v1/kb/search', { query: { q: query.trim(), k } }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="playground-title">
      <h3 id="playground-title">Search playground</h3>
      <form className="inline-form" onSubmit={(event) => void submit(event)} role="search">
        <label className="grow">
          Query
          <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} />
        </label>
        <label>
          Results
          <input type="number" min={1} max={100} value={k} onChange={(event) => setK(Number(event.target.value) || 10)} />
        </label>
        <button type="submit" className="primary" disabled={busy || !query.trim()}>
          Search
        </button>
      </form>
      {busy && <Loading label="Searching…" />}
      {error !== undefined && <ErrorState error={error} />}
      {result && !busy && (
        result.hits.length === 0 ? (
          <Empty>No passage matches.</Empty>
        ) : (
          <>
            <p className="hint">Mode: {result.mode}</p>
            <DataTable
              rows={result.hits}
              rowKey={(hit) => `${hit.path}:${hit.lines[0]}`}
              columns={[
                { header: '#', cell: (_hit, index) => index + 1 },
                {
                  header: 'Passage',
                  cell: (hit) => (
                    <>
                      <strong>{hit.heading}</strong>
                      <div className="hint">
                        {hit.source} · <code>{hit.path}</code> lines {hit.lines[0]}–{hit.lines[1]}
                      </div>
                      <details>
                        <summary>Text</summary>
                        <pre className="passage">{hit.text}</pre>
                      </details>
                    </>
                  ),
                },
                { header: 'Lexical', cell: (hit) => score(hit.scores.lexical) },
                { header: 'Vector', cell: (hit) => score(hit.scores.vector) },
                { header: 'Fused', cell: (hit) => score(hit.scores.fused) },
              ]}
            />
          </>
        )
      )}
    </section>
  );
}
