import { request } from '../api/client';
import { jobStateSchema } from '../api/schemas';
import { readSse } from '../api/sse';
import type { JobState } from '../api/schemas';

export interface JobProgress {
  state: JobState;
  progress: number;
  message: string | null;
  error: string | null;
}

const FINISHED = new Set<JobState>(['completed', 'dead', 'cancelled']);
const EVENT_STATE: Record<string, JobState> = {
  'job-completed': 'completed',
  'job-failed': 'failed',
  'job-dead': 'dead',
  'job-cancelled': 'cancelled',
  'job-progress': 'running',
};

/**
 * Follows `GET /v1/jobs/{id}/events` (the job's current record first, then `job-*` events) and
 * reports each change; resolves with the final state when the job finishes.
 */
export async function watchJob(
  jobId: string,
  onChange: (progress: JobProgress) => void,
  signal: AbortSignal,
): Promise<JobProgress> {
  const response = await request(`/v1/jobs/${encodeURIComponent(jobId)}/events`, {
    accept: 'text/event-stream',
    signal,
  });
  let current: JobProgress = { state: 'queued', progress: 0, message: null, error: null };
  for await (const message of readSse(response)) {
    const data = JSON.parse(message.data) as Record<string, unknown>;
    const type = typeof data.type === 'string' ? data.type : message.event;
    const recordState = jobStateSchema.safeParse(data.state);
    const state = recordState.success ? recordState.data : EVENT_STATE[type];
    current = {
      state: state ?? current.state,
      progress: typeof data.progress === 'number' ? data.progress : current.progress,
      message:
        typeof data.message === 'string'
          ? data.message
          : typeof data.progressMessage === 'string'
            ? data.progressMessage
            : current.message,
      error: typeof data.error === 'string' ? data.error : current.error,
    };
    if (current.state === 'completed') current.progress = 1;
    onChange(current);
    if (FINISHED.has(current.state)) return current;
  }
  return current;
}
