import type { Source } from '../api/types';
import { formatDate, formatNumber, shortVersion } from '../ui/format';
import { ProgressBar } from '../ui/progress';
import type { SyncState } from './use-sync';

/** Sources with last sync, version, counts and the errors per file of the last sync. */
export function SourcesTable({
  sources,
  syncs,
  canSync,
  onSync,
}: {
  sources: Source[];
  syncs: Record<string, SyncState>;
  canSync: boolean;
  onSync(source: Source): void;
}) {
  return (
    <ul className="source-list">
      {sources.map((source) => {
        const sync = syncs[source.id];
        const running = sync !== undefined && !sync.error;
        return (
          <li key={source.id} className="card source" aria-label={`Source ${source.name}`}>
            <div className="source-head">
              <h3>{source.name}</h3>
              <span className={`badge status-${source.lastSyncStatus}`}>{source.lastSyncStatus}</span>
              {canSync && (
                <button
                  type="button"
                  onClick={() => onSync(source)}
                  disabled={running}
                  aria-label={`Sync ${source.name} now`}
                >
                  {running ? 'Syncing…' : 'Sync now'}
                </button>
              )}
            </div>
            <p className="hint location">
              {source.kind} · <code>{source.location}</code>
            </p>
            <dl className="facts">
              <div>
                <dt>Last sync</dt>
                <dd>{formatDate(source.lastSyncAt)}</dd>
              </div>
              <div>
                <dt>Version</dt>
                <dd>
                  <code>{shortVersion(source.version)}</code>
                </dd>
              </div>
              <div>
                <dt>Documents</dt>
                <dd>{formatNumber(source.documents)}</dd>
              </div>
              <div>
                <dt>Chunks</dt>
                <dd>{formatNumber(source.chunks)}</dd>
              </div>
            </dl>
            {running && (
              <div className="sync-progress" role="status" aria-live="polite">
                <ProgressBar value={sync.progress} label={`Sync progress of ${source.name}`} />
                <span className="hint">{sync.message}</span>
              </div>
            )}
            {sync?.error && (
              <p className="form-error" role="alert">
                Sync failed: {sync.error}
              </p>
            )}
            {source.lastSyncMessage && <p className="hint">{source.lastSyncMessage}</p>}
            {source.errors.length > 0 && (
              <details className="file-errors">
                <summary>
                  {source.errors.length} file{source.errors.length === 1 ? '' : 's'} with errors
                </summary>
                <ul>
                  {source.errors.map((error) => (
                    <li key={error.path}>
                      <code>{error.path}</code>: {error.message}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        );
      })}
    </ul>
  );
}
