import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { PolicyActivation, PolicyOverview } from '../api/types';
import { atLeast, useSession } from '../auth/session';
import { DataTable } from '../ui/data-table';
import { formatDate, shortVersion } from '../ui/format';
import { Async, Empty, FormError } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { PolicyCanaryPanel } from './policy-canary';
import { PolicyDiff } from './policy-diff';

/**
 * Policy versions, a side-by-side diff, activate / roll back, the canary rollout (admins), and
 * the activation history.
 */
export function PoliciesPage() {
  const { me } = useSession();
  const overview = useResource((signal) => api<PolicyOverview>('/v1/policies', { signal }), []);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const isAdmin = atLeast(me, 'admin');

  const versions = overview.data?.versions ?? [];
  const active = overview.data?.active.version;
  const previous = overview.data?.activations[0]?.previousVersion ?? undefined;
  const [comparedFor, setComparedFor] = useState<string>();
  useEffect(() => {
    // Each time the active version changes, compare the one it replaced against it.
    if (!active || comparedFor === active) return;
    setComparedFor(active);
    setTo(active);
    setFrom(previous ?? versions.find((version) => version.version !== active)?.version ?? active);
  }, [active, previous, versions, comparedFor]);
  const history = useResource(
    (signal) =>
      api<{ activations: PolicyActivation[] }>('/v1/policies/activations', { signal }).catch(
        // An older server has no such route; the overview carries the same history.
        () => ({ activations: overview.data?.activations ?? [] }),
      ),
    [overview.data],
  );

  async function change(path: '/v1/policies/activate' | '/v1/policies/rollback', version?: string) {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const body: Record<string, string> = {};
      if (version) body.version = version;
      if (reason.trim()) body.reason = reason.trim();
      const result = await api<PolicyActivation>(path, { method: 'POST', body });
      setNotice(
        `${path.endsWith('rollback') ? 'Rolled back to' : 'Activated'} ${shortVersion(result.version)}.`,
      );
      setReason('');
      overview.reload();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="policies-title">
      <h3 id="policies-title">Policies</h3>
      <Async resource={overview} label="Loading policies…">
        {(data) => (
          <>
            <p>
              Active: <strong>{data.active.id}</strong>{' '}
              <code data-testid="active-version">{shortVersion(data.active.version)}</code>
            </p>
            {isAdmin && (
              <div className="card form-grid">
                <label className="wide">
                  Reason (recorded with the change)
                  <input
                    value={reason}
                    maxLength={500}
                    onChange={(event) => setReason(event.target.value)}
                  />
                </label>
                <button
                  type="button"
                  // With one known version there is nothing to go back to: say so up front
                  // instead of letting the click fail.
                  disabled={busy || versions.length < 2}
                  title={versions.length < 2 ? 'Only one version is known' : undefined}
                  onClick={() => void change('/v1/policies/rollback')}
                >
                  Roll back to the previous version
                </button>
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => void change('/v1/policies/activate')}
                >
                  Activate the files on disk
                </button>
              </div>
            )}
            {notice && (
              <p role="status" className="notice">
                {notice}
              </p>
            )}
            <FormError message={error} />
            <h4>Versions</h4>
            <ul className="versions">
              {data.versions.map((version) => (
                <li key={version.version}>
                  <code>{shortVersion(version.version)}</code>{' '}
                  <span className="hint">{formatDate(version.createdAt)}</span>{' '}
                  {version.active ? (
                    <span className="badge state-completed">active</span>
                  ) : (
                    isAdmin && (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void change('/v1/policies/activate', version.version)}
                        aria-label={`Activate version ${shortVersion(version.version)}`}
                      >
                        Activate
                      </button>
                    )
                  )}
                </li>
              ))}
            </ul>
            {isAdmin && (
              <>
                <h4>Canary rollout</h4>
                <PolicyCanaryPanel
                  versions={data.versions}
                  active={data.active.version}
                  onEnded={overview.reload}
                />
              </>
            )}
            <h4>Compare</h4>
            {versions.length < 2 ? (
              <Empty>
                Only one version is known; change the policy files and activate them to compare.
              </Empty>
            ) : (
              <>
                <div className="toolbar">
                  <VersionSelect label="From" versions={versions} value={from} onChange={setFrom} />
                  <VersionSelect label="To" versions={versions} value={to} onChange={setTo} />
                </div>
                {from && to && from !== to ? (
                  <PolicyDiff from={from} to={to} />
                ) : (
                  <Empty>Pick two different versions.</Empty>
                )}
              </>
            )}
            <h4>Activation history</h4>
            <ActivationHistory activations={history.data?.activations ?? data.activations} />
          </>
        )}
      </Async>
    </section>
  );
}

function VersionSelect({
  label,
  versions,
  value,
  onChange,
}: {
  label: string;
  versions: readonly { version: string }[];
  value: string;
  onChange: (version: string) => void;
}) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        {versions.map((version) => (
          <option key={version.version} value={version.version}>
            {shortVersion(version.version)}
          </option>
        ))}
      </select>
    </label>
  );
}

function ActivationHistory({ activations }: { activations: PolicyActivation[] }) {
  if (activations.length === 0) return <Empty>No activations recorded.</Empty>;
  return (
    <DataTable
      label="Activation history"
      rows={activations}
      rowKey={(activation, index) => String(activation.id ?? index)}
      columns={[
        {
          header: 'When',
          cell: (activation) => formatDate(activation.activatedAt ?? activation.at),
        },
        {
          header: 'Version',
          cell: (activation) => (
            <>
              <code>{shortVersion(activation.version)}</code>
              {activation.action && <span className="hint"> {activation.action}</span>}
            </>
          ),
        },
        {
          header: 'Previous',
          cell: (activation) => <code>{shortVersion(activation.previousVersion)}</code>,
        },
        { header: 'Who', cell: (activation) => activation.actor },
        { header: 'Reason', cell: (activation) => activation.reason ?? '' },
      ]}
    />
  );
}
