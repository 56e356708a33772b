import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import type { AuditRecord } from '../api/types';
import { DataTable } from '../ui/data-table';
import { formatDate } from '../ui/format';
import { Empty, ErrorState, Loading } from '../ui/states';
import { useResource } from '../ui/use-resource';

interface Filters {
  action: string;
  actor: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { action: '', actor: '', from: '', to: '' };
type Page = { records: AuditRecord[]; nextCursor: string | null };

/** The audit log, filtered by action, actor and time, newest first, a page at a time. */
export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [more, setMore] = useState<AuditRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>();
  const query = (extra: Record<string, string> = {}) => ({
    action: filters.action || undefined,
    actor: filters.actor || undefined,
    from: filters.from ? new Date(filters.from).toISOString() : undefined,
    to: filters.to ? new Date(filters.to).toISOString() : undefined,
    limit: 50,
    ...extra,
  });
  const first = useResource(
    async (signal) => {
      const page = await api<Page>('/v1/audit', { query: query(), signal });
      setMore([]);
      setCursor(page.nextCursor);
      return page;
    },
    [filters],
  );

  async function loadMore() {
    if (!cursor) return;
    try {
      const page = await api<Page>('/v1/audit', { query: query({ cursor }) });
      setMore((current) => [...current, ...page.records]);
      setCursor(page.nextCursor);
    } catch (error) {
      setMoreError(error);
    }
  }
  function apply(event: FormEvent) {
    event.preventDefault();
    setFilters(draft);
  }
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onChange: (event: { target: { value: string } }) =>
      setDraft((current) => ({ ...current, [name]: event.target.value })),
  });

  const records = [...(first.data?.records ?? []), ...more];
  return (
    <section aria-labelledby="audit-title">
      <h3 id="audit-title">Audit log</h3>
      <form className="card form-grid" onSubmit={apply} aria-label="Audit filters">
        <label>
          Action
          <input placeholder="e.g. chat, user.create" {...field('action')} />
        </label>
        <label>
          Actor
          <input placeholder="e.g. user:ana@example.com" {...field('actor')} />
        </label>
        <label>
          From
          <input type="datetime-local" {...field('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" {...field('to')} />
        </label>
        <button type="submit" className="primary">
          Filter
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            setFilters(EMPTY);
          }}
        >
          Clear
        </button>
      </form>
      {first.error !== undefined && <ErrorState error={first.error} onRetry={first.reload} />}
      {first.loading && !first.data && <Loading label="Loading the audit log…" />}
      {first.data && records.length === 0 && <Empty>No audit records match.</Empty>}
      {records.length > 0 && (
        <DataTable
          rows={records}
          rowKey={(record) => String(record.id)}
          columns={[
            { header: 'When', cell: (record) => formatDate(record.at) },
            { header: 'Actor', cell: (record) => record.actor ?? '—' },
            { header: 'Action', cell: (record) => <code>{record.action}</code> },
            { header: 'Target', cell: (record) => record.target ?? '—' },
            {
              header: 'Details',
              cell: (record) => (
                <details>
                  <summary>Show</summary>
                  <pre className="passage">{JSON.stringify(record.details, null, 2)}</pre>
                  {record.traceId && <p className="hint">trace {record.traceId}</p>}
                </details>
              ),
            },
          ]}
        />
      )}
      {moreError !== undefined && <ErrorState error={moreError} />}
      {cursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </section>
  );
}
