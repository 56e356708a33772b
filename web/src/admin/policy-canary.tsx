import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { CanaryFigures, CanaryStatus, PolicyCanary } from '../api/types';
import { DataTable } from '../ui/data-table';
import { formatDate, shortVersion } from '../ui/format';
import { Async, Empty, FormError } from '../ui/states';
import { useResource } from '../ui/use-resource';

/** How often the live comparison is read again while the page is open. */
const REFRESH_MS = 5_000;

const OUTCOME: Record<NonNullable<PolicyCanary['ended']>['outcome'], string> = {
  promoted: 'promoted',
  rolled_back: 'rolled back',
  stopped: 'stopped',
};

const rate = (value: number) => `${(value * 100).toFixed(1)} %`;

const METRICS: { label: string; value: (figures: CanaryFigures) => string }[] = [
  { label: 'Calls', value: (figures) => String(figures.calls) },
  { label: 'Refusal rate', value: (figures) => rate(figures.refusalRate) },
  { label: 'Error rate', value: (figures) => rate(figures.errorRate) },
  { label: 'Grounding failures', value: (figures) => rate(figures.groundingFailureRate) },
  {
    label: 'Latency p95',
    value: (figures) => (figures.latencyP95Ms === null ? '–' : `${figures.latencyP95Ms} ms`),
  },
];

/**
 * The canary rollout (admins): start one on a stored version, watch it against the active
 * version while it runs (refreshed every few seconds), stop it, and the canaries before it.
 */
export function PolicyCanaryPanel({
  versions,
  active,
  onEnded,
}: {
  versions: readonly { version: string }[];
  active: string;
  /** The active version may have changed (a promotion): the page reloads its overview. */
  onEnded: () => void;
}) {
  const status = useResource((signal) => api<CanaryStatus>('/v1/policies/canary', { signal }), []);
  const candidates = versions.filter((entry) => entry.version !== active);
  const [version, setVersion] = useState('');
  const [percent, setPercent] = useState('10');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const running = status.data?.canary;
  const reload = status.reload;

  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  // A canary that ends while the page is open may have changed the active version.
  const lastEnded = status.data?.history.find((entry) => entry.ended)?.id;
  const seenEnded = useRef<string | undefined | null>(null);
  const loaded = status.data !== undefined;
  useEffect(() => {
    if (!loaded) return;
    if (seenEnded.current !== null && seenEnded.current !== lastEnded) onEnded();
    seenEnded.current = lastEnded;
  }, [loaded, lastEnded, onEnded]);

  async function send(path: string, body: Record<string, unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await api(path, { method: 'POST', body });
      reload();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Async resource={status} label="Loading the canary…">
      {(data) => (
        <>
          {data.canary && data.comparison ? (
            <div className="card" data-testid="canary-running">
              <p>
                Canary <code>{shortVersion(data.canary.version)}</code> serves{' '}
                <strong>{data.canary.percent} %</strong> of users since{' '}
                {formatDate(data.canary.startedAt)} ({data.comparison.elapsedSeconds} s of{' '}
                {data.comparison.settings.windowSeconds} s).
              </p>
              <DataTable
                label="Canary comparison"
                rows={METRICS}
                rowKey={(metric) => metric.label}
                columns={[
                  { header: 'Measure', cell: (metric) => metric.label },
                  {
                    header: `Canary ${shortVersion(data.comparison.canary.version)}`,
                    cell: (metric) => metric.value(data.comparison!.canary),
                  },
                  {
                    header: `Active ${shortVersion(data.comparison.active.version)}`,
                    cell: (metric) => metric.value(data.comparison!.active),
                  },
                ]}
              />
              <p className="hint">
                Now: {data.comparison.verdict.decision} —{' '}
                {data.comparison.verdict.reasons.join('; ')}
              </p>
              <button
                type="button"
                disabled={busy}
                onClick={() => void send('/v1/policies/canary/stop', {})}
              >
                Stop the canary
              </button>
            </div>
          ) : candidates.length === 0 ? (
            <Empty>
              Store another version (change the files and activate them) to try it as a canary.
            </Empty>
          ) : (
            <div className="card form-grid">
              <label>
                Canary version{' '}
                <select value={version} onChange={(event) => setVersion(event.target.value)}>
                  <option value="">Choose…</option>
                  {candidates.map((entry) => (
                    <option key={entry.version} value={entry.version}>
                      {shortVersion(entry.version)}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Share of users (%)
                <input
                  type="number"
                  min={1}
                  max={100}
                  value={percent}
                  onChange={(event) => setPercent(event.target.value)}
                />
              </label>
              <button
                type="button"
                disabled={busy || !version}
                onClick={() =>
                  void send('/v1/policies/canary', { version, percent: Number(percent) })
                }
              >
                Start the canary
              </button>
            </div>
          )}
          <FormError message={error} />
          {data.history.length > 0 && <CanaryHistory canaries={data.history} />}
          {!running && data.history.length === 0 && <Empty>No canary has run yet.</Empty>}
        </>
      )}
    </Async>
  );
}

function CanaryHistory({ canaries }: { canaries: PolicyCanary[] }) {
  return (
    <DataTable
      label="Canary history"
      rows={canaries}
      rowKey={(canary) => canary.id}
      columns={[
        { header: 'Started', cell: (canary) => formatDate(canary.startedAt) },
        {
          header: 'Version',
          cell: (canary) => (
            <>
              <code>{shortVersion(canary.version)}</code> at {canary.percent} %
            </>
          ),
        },
        { header: 'Started by', cell: (canary) => canary.startedBy },
        {
          header: 'Outcome',
          cell: (canary) =>
            canary.ended
              ? `${OUTCOME[canary.ended.outcome]} ${formatDate(canary.ended.at)}`
              : 'running',
        },
        { header: 'By', cell: (canary) => canary.ended?.by ?? '' },
        { header: 'Reason', cell: (canary) => canary.ended?.reason ?? canary.reason },
      ]}
    />
  );
}
