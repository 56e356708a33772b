import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { Job, Source } from '../api/types';
import { atLeast, useSession } from '../auth/session';
import { DataTable } from '../ui/data-table';
import { formatDate } from '../ui/format';
import { ProgressBar } from '../ui/progress';
import { Async, Empty, FormError } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { JobOutput, QUEUES_WITH_OUTPUT } from './job-output';
import { jobSubject } from './job-subject';
import { SchedulesSection } from './schedules-section';

const STATES = ['', 'queued', 'running', 'completed', 'failed', 'dead', 'cancelled'] as const;
const CANCELLABLE = new Set(['queued', 'running', 'failed']);
const RETRYABLE = new Set(['dead', 'failed', 'cancelled']);

/** Background jobs: state, progress, attempts and errors; cancel and retry; recurring schedules. */
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
      <FormError message={actionError} />
      <Async resource={jobs} label="Loading jobs…">
        {(list) =>
          list.length === 0 ? (
            <Empty>No jobs{state ? ` in state ${state}` : ''}.</Empty>
          ) : (
            <DataTable
              rows={list}
              rowKey={(job) => job.id}
              detail={(job) => shown === job.id && <JobOutput job={job} />}
              columns={[
                {
                  header: 'Job',
                  cell: (job) => (
                    <>
                      <strong>{job.queue}</strong>
                      <div>{jobSubject(job, sources.data)}</div>
                      <div className="hint">
                        <code>{job.id}</code>
                      </div>
                      {job.error && <div className="error-text">{job.error}</div>}
                    </>
                  ),
                },
                {
                  header: 'State',
                  cell: (job) => <span className={`badge state-${job.state}`}>{job.state}</span>,
                },
                {
                  header: 'Progress',
                  cell: (job) => (
                    <>
                      <ProgressBar value={job.progress} label={`Progress of job ${job.id}`} />
                      {job.progressMessage && <div className="hint">{job.progressMessage}</div>}
                    </>
                  ),
                },
                { header: 'Attempts', cell: (job) => `${job.attempts} / ${job.maxAttempts}` },
                { header: 'Created', cell: (job) => formatDate(job.createdAt) },
                {
                  header: 'Actions',
                  hiddenHeader: true,
                  className: 'actions',
                  cell: (job) => (
                    <JobActions
                      job={job}
                      canAct={canAct}
                      act={act}
                      shown={shown}
                      setShown={setShown}
                    />
                  ),
                },
              ]}
            />
          )
        }
      </Async>
      <SchedulesSection canAct={canAct} />
    </div>
  );
}

/** Cancel, retry and show-output buttons for one job, as far as its state and the role allow. */
function JobActions({
  job,
  canAct,
  act,
  shown,
  setShown,
}: {
  job: Job;
  canAct: boolean;
  act: (job: Job, action: 'cancel' | 'retry') => Promise<void>;
  shown: string | undefined;
  setShown: (id: string | undefined) => void;
}) {
  return (
    <>
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
    </>
  );
}
