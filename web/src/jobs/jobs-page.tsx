import { Fragment, useEffect, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { Job, Source } from '../api/types';
import { atLeast, useSession } from '../auth/session';
import { formatDate } from '../ui/format';
import { ProgressBar } from '../ui/progress';
import { Async, Empty } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { JobOutput, QUEUES_WITH_OUTPUT } from './job-output';
import { jobSubject } from './job-subject';

const STATES = ['', 'queued', 'running', 'completed', 'failed', 'dead', 'cancelled'] as const;
const CANCELLABLE = new Set(['queued', 'running', 'failed']);
const RETRYABLE = new Set(['dead', 'failed', 'cancelled']);

/** Background jobs: state, progress, attempts and errors; cancel and retry. */
export function JobsPage() {
  const { me } = useSession();
  const [state, setState] = useState('');
  const [actionError, setActionError] = useState<string>();
  const [shown, setShown] = useState<string>();
  const jobs = useResource(
    (signal) =>
      api<{ jobs: Job[] } | Job[]>('/v1/jobs', { query: { state, limit: 100 }, signal }).then(
        (result) => (Array.isArray(result) ? result : result.jobs),
      ),
    [state],
  );
  // A failed job is waiting for its next attempt (it becomes dead when out of attempts).
  const active = jobs.data?.some((job) => ['running', 'queued', 'failed'].includes(job.state));
  useEffect(() => {
    if (!active) return;
    // Live enough for a list: poll while something is moving.
    const timer = setInterval(jobs.reload, 2000);
    return () => clearInterval(timer);
  }, [active, jobs.reload]);

  async function act(job: Job, action: 'cancel' | 'retry') {
    setActionError(undefined);
    try {
      await api(`/v1/jobs/${encodeURIComponent(job.id)}/${action}`, { method: 'POST' });
    } catch (error) {
      setActionError(messageOf(error));
    }
    jobs.reload();
  }

  // Names for the sources syncs read; without them the list still shows the source's id.
  const sources = useResource(
    (signal) =>
      api<{ sources: Source[] }>('/v1/kb/sources', { signal }).then(
        (result) => new Map(result.sources.map((source) => [source.id, source.name])),
      ),
    [],
  );

  const canAct = atLeast(me, 'manager');
  return (
    <div className="page">
      <h2>Jobs</h2>
      <div className="toolbar">
        <label>
          State{' '}
          <select value={state} onChange={(event) => setState(event.target.value)}>
            {STATES.map((value) => (
              <option key={value} value={value}>
                {value || 'all'}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={jobs.reload}>
          Refresh
        </button>
      </div>
      {actionError && (
        <p className="form-error" role="alert">
          {actionError}
        </p>
      )}
      <Async resource={jobs} label="Loading jobs…">
        {(list) =>
          list.length === 0 ? (
            <Empty>No jobs{state ? ` in state ${state}` : ''}.</Empty>
          ) : (
            <div className="table-scroll">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">State</th>
                    <th scope="col">Progress</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((job) => (
                    <Fragment key={job.id}>
                      <tr>
                        <td>
                          <strong>{job.queue}</strong>
                          <div>{jobSubject(job, sources.data)}</div>
                          <div className="hint">
                            <code>{job.id}</code>
                          </div>
                          {job.error && <div className="error-text">{job.error}</div>}
                        </td>
                        <td>
                          <span className={`badge state-${job.state}`}>{job.state}</span>
                        </td>
                        <td>
                          <ProgressBar value={job.progress} label={`Progress of job ${job.id}`} />
                          {job.progressMessage && <div className="hint">{job.progressMessage}</div>}
                        </td>
                        <td>
                          {job.attempts} / {job.maxAttempts}
                        </td>
                        <td>{formatDate(job.createdAt)}</td>
                        <td className="actions">
                          {canAct && CANCELLABLE.has(job.state) && (
                            <button
                              type="button"
                              onClick={() => void act(job, 'cancel')}
                              aria-label={`Cancel job ${job.id}`}
                            >
                              Cancel
                            </button>
                          )}
                          {canAct && RETRYABLE.has(job.state) && (
                            <button
                              type="button"
                              onClick={() => void act(job, 'retry')}
                              aria-label={`Retry job ${job.id}`}
                            >
                              Retry
                            </button>
                          )}
                          {job.state === 'completed' && QUEUES_WITH_OUTPUT.has(job.queue) && (
                            <button
                              type="button"
                              aria-expanded={shown === job.id}
                              onClick={() => setShown(shown === job.id ? undefined : job.id)}
                              aria-label={`${shown === job.id ? 'Hide' : 'Show'} the output of job ${job.id}`}
                            >
                              {shown === job.id ? 'Hide output' : 'Output'}
                            </button>
                          )}
                        </td>
                      </tr>
                      {shown === job.id && (
                        <tr>
                          <td colSpan={6}>
                            <JobOutput job={job} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
    </div>
  );
}
