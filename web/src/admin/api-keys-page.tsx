import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { ApiKey } from '../api/types';
import { ConfirmButton } from '../ui/confirm-button';
import { DataTable } from '../ui/data-table';
import { formatDate } from '../ui/format';
import { Async, Empty, FormError } from '../ui/states';
import { useResource } from '../ui/use-resource';

const SCOPES = ['chat', 'kb:read', 'kb:write', 'admin'] as const;

/** Create (the secret is shown once), list and revoke API keys. */
export function ApiKeysPage() {
  const keys = useResource((signal) => api<{ apiKeys: ApiKey[] }>('/v1/api-keys', { signal }), []);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['chat', 'kb:read']);
  const [created, setCreated] = useState<{ key: string; apiKey: ApiKey }>();
  const [error, setError] = useState<string>();
  const [copied, setCopied] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      setCreated(
        await api('/v1/api-keys', { method: 'POST', body: { name: name.trim(), scopes } }),
      );
      setCopied(false);
      setName('');
      keys.reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }
  async function revoke(key: ApiKey) {
    setError(undefined);
    try {
      await api(`/v1/api-keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
    } catch (failure) {
      setError(messageOf(failure));
    }
    keys.reload();
  }
  const toggle = (scope: string) =>
    setScopes((current) =>
      current.includes(scope) ? current.filter((value) => value !== scope) : [...current, scope],
    );

  return (
    <section aria-labelledby="keys-title">
      <h3 id="keys-title">API keys</h3>
      <form className="card form-grid" onSubmit={(event) => void create(event)}>
        <label className="wide">
          Key name
          <input
            name="keyName"
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <fieldset className="wide">
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={() => toggle(scope)}
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={scopes.length === 0}>
          Create key
        </button>
      </form>
      {created && (
        <div className="card secret" role="status" aria-live="polite">
          <p>
            <strong>Copy the key “{created.apiKey.name}” now</strong> — it is shown only once.
          </p>
          <code className="secret-value" aria-label="New API key">
            {created.key}
          </code>
          <div className="row">
            <button
              type="button"
              onClick={() =>
                void navigator.clipboard.writeText(created.key).then(
                  () => setCopied(true),
                  () => undefined,
                )
              }
            >
              {copied ? 'Copied' : 'Copy key'}
            </button>
            <button type="button" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </div>
        </div>
      )}
      <FormError message={error} />
      <Async resource={keys} label="Loading keys…">
        {({ apiKeys }) =>
          apiKeys.length === 0 ? (
            <Empty>No API keys yet.</Empty>
          ) : (
            <DataTable
              rows={apiKeys}
              rowKey={(key) => key.id}
              columns={[
                {
                  header: 'Name',
                  cell: (key) => (
                    <>
                      {key.name}
                      <div className="hint">
                        <code>{key.prefix}…</code>
                      </div>
                    </>
                  ),
                },
                { header: 'Scopes', cell: (key) => key.scopes.join(', ') },
                { header: 'Last used', cell: (key) => formatDate(key.lastUsedAt) },
                {
                  header: 'Status',
                  cell: (key) =>
                    key.revokedAt ? (
                      <span className="badge state-cancelled">
                        revoked {formatDate(key.revokedAt)}
                      </span>
                    ) : (
                      <span className="badge state-completed">active</span>
                    ),
                },
                {
                  header: 'Actions',
                  hiddenHeader: true,
                  className: 'actions',
                  cell: (key) =>
                    !key.revokedAt && (
                      <ConfirmButton
                        question={`Revoke the key "${key.name}"? Programs using it stop working at once.`}
                        onConfirm={() => revoke(key)}
                        label={`Revoke key ${key.name}`}
                      >
                        Revoke
                      </ConfirmButton>
                    ),
                },
              ]}
            />
          )
        }
      </Async>
    </section>
  );
}
