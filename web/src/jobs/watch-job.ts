import { api } from '../api/client';
import { followTopic } from '../api/realtime';
import { jobStateSchema } from '../api/schemas';
import type { JobState } from '../api/schemas';

export interface JobProgress {
  state: JobState;
  progress: number;
  message: string | null;
  error: string | null;
}

const FINISHED = new Set<JobState>(['completed', 'dead', 'cancelled']);

/** A job record's fields as progress; undefined for anything else. */
function fromRecord(record: unknown): JobProgress | undefined {
  const job = record as Record<string, unknown> | null;
  const state = jobStateSchema.safeParse(job?.state);
  if (!job || !state.success) return undefined;
  return {
    state: state.data,
    progress: state.data === 'completed' ? 1 : typeof job.progress === 'number' ? job.progress : 0,
    message: typeof job.progressMessage === 'string' ? job.progressMessage : null,
    error: typeof job.error === 'string' ? job.error : null,
  };
}

/**
 * Follows the job on the realtime channel (`job-updated` with the job, first as it is now, and
 * `job-progress`) and reports each change; resolves with the final state when the job finishes.
 * A dropped connection resumes where it left off; when the server could not keep what was missed
 * (`reset`), the job is read again.
 */
export async function watchJob(
  jobId: string,
  onChange: (progress: JobProgress) => void,
  signal: AbortSignal,
): Promise<JobProgress> {
  let current: JobProgress = { state: 'queued', progress: 0, message: null, error: null };
  await followTopic(
    `job:${jobId}`,
    async ({ type, data }) => {
      if (type === 'job-progress') {
        current = {
          ...current,
          state: 'running',
          progress: typeof data.progress === 'number' ? data.progress : current.progress,
          message: typeof data.message === 'string' ? data.message : current.message,
        };
      } else {
        const record =
          type === 'reset'
            ? await api(`/v1/jobs/${encodeURIComponent(jobId)}`, { signal })
            : data.job;
        current = fromRecord(record) ?? current;
      }
      onChange(current);
      return FINISHED.has(current.state);
    },
    signal,
  );
  return current;
}
