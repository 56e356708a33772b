import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import { ConfirmButton } from '../ui/confirm-button';
import { DataTable } from '../ui/data-table';
import { formatDate } from '../ui/format';
import { Async, Empty, FormError } from '../ui/states';
import { useResource } from '../ui/use-resource';

interface Schedule {
  id: string;
  queue: string;
  payload: Record<string, unknown>;
  cron: string;
  timezone: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
}

const QUEUES = ['predictions', 'generate', 'ingest', 'webhooks', 'images', 'memory'] as const;
const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Parses the payload field; a message instead when it is not a JSON object. */
function parsePayload(text: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(text || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below like any other shape.
  }
  return 'The payload must be a JSON object, e.g. {"seriesId": "views", "horizon": 24}.';
}

/**
 * Recurring jobs (`/v1/schedules`): one job of a queue per tick of a cron expression in a time
 * zone. Everyone in the workspace sees them with their next run; managers create, pause, resume
 * and delete them.
 */
export function SchedulesSection({ canAct }: { canAct: boolean }) {
  const schedules = useResource(
    (signal) =>
      api<{ schedules: Schedule[] }>('/v1/schedules', { signal }).then(
        (result) => result.schedules,
      ),
    [],
  );
  const [form, setForm] = useState({
    id: '',
    queue: 'predictions',
    cron: '0 * * * *',
    timezone: browserTimeZone(),
    payload: '',
  });
  const [error, setError] = useState<string>();
  const field = (name: keyof typeof form) => ({
    value: form[name],
    onChange: (event: { target: { value: string } }) =>
      setForm((current) => ({ ...current, [name]: event.target.value })),
  });

  async function run(action: () => Promise<unknown>): Promise<boolean> {
    setError(undefined);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(messageOf(failure));
      return false;
    } finally {
      schedules.reload();
    }
  }
  async function create(event: FormEvent) {
    event.preventDefault();
    const payload = parsePayload(form.payload);
    if (typeof payload === 'string') return setError(payload);
    const body = { ...form, id: form.id.trim(), payload };
    if (await run(() => api('/v1/schedules', { method: 'POST', body })))
      setForm((current) => ({ ...current, id: '', payload: '' }));
  }
  const path = (schedule: Schedule) => `/v1/schedules/${encodeURIComponent(schedule.id)}`;

  return (
    <section aria-labelledby="schedules-title">
      <h3 id="schedules-title">Schedules</h3>
      {canAct && (
        <form
          className="card form-grid"
          aria-label="New schedule"
          onSubmit={(event) => void create(event)}
        >
          <label>
            Schedule name
            <input required maxLength={64} {...field('id')} />
          </label>
          <label>
            Queue
            <select {...field('queue')}>
              {QUEUES.map((queue) => (
                <option key={queue}>{queue}</option>
              ))}
            </select>
          </label>
          <label>
            Cron expression
            <input required maxLength={200} {...field('cron')} />
          </label>
          <label>
            Time zone
            <input required maxLength={64} {...field('timezone')} />
          </label>
          <label className="wide">
            Payload (JSON)
            <textarea
              rows={2}
              placeholder='{"seriesId": "views", "horizon": 24}'
              {...field('payload')}
            />
          </label>
          <button type="submit" className="primary">
            Create schedule
          </button>
        </form>
      )}
      <FormError message={error} />
      <Async resource={schedules} label="Loading schedules…">
        {(list) =>
          list.length === 0 ? (
            <Empty>No schedules.</Empty>
          ) : (
            <DataTable
              rows={list}
              rowKey={(schedule) => schedule.id}
              columns={[
                {
                  header: 'Schedule',
                  cell: (schedule) => (
                    <>
                      <strong>{schedule.id}</strong>
                      <div className="hint">
                        {schedule.queue} <code>{JSON.stringify(schedule.payload)}</code>
                      </div>
                    </>
                  ),
                },
                {
                  header: 'When',
                  cell: (schedule) => (
                    <>
                      <code>{schedule.cron}</code>
                      <div className="hint">{schedule.timezone}</div>
                    </>
                  ),
                },
                {
                  header: 'Next run',
                  cell: (schedule) =>
                    schedule.paused ? (
                      <span className="badge state-cancelled">paused</span>
                    ) : (
                      formatDate(schedule.nextRunAt)
                    ),
                },
                { header: 'Last run', cell: (schedule) => formatDate(schedule.lastRunAt) },
                {
                  header: 'Actions',
                  hiddenHeader: true,
                  className: 'actions',
                  cell: (schedule) =>
                    canAct && (
                      <>
                        <button
                          type="button"
                          aria-label={`${schedule.paused ? 'Resume' : 'Pause'} schedule ${schedule.id}`}
                          onClick={() =>
                            void run(() =>
                              api(`${path(schedule)}/${schedule.paused ? 'resume' : 'pause'}`, {
                                method: 'POST',
                              }),
                            )
                          }
                        >
                          {schedule.paused ? 'Resume' : 'Pause'}
                        </button>
                        <ConfirmButton
                          question={`Delete the schedule "${schedule.id}"? No more jobs are started by it.`}
                          onConfirm={() => run(() => api(path(schedule), { method: 'DELETE' }))}
                          label={`Delete schedule ${schedule.id}`}
                        >
                          Delete
                        </ConfirmButton>
                      </>
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
