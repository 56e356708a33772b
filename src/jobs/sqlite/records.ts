import type { JobPayloads, QueueName } from '../contracts.js';
import type { JobRecord, JobState } from '../queue.js';

/** A row of the jobs table (see `schema.ts`). */
export interface JobRow {
  id: string;
  queue: QueueName;
  payload: string;
  state: JobState;
  priority: number;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  run_at: number;
  lease_token: string | null;
  lease_until: number | null;
  cancel_requested: number;
  progress: number;
  progress_message: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The enqueuing request's trace context (JSON carrier fields), or null. */
  trace: string | null;
}

/** A stored epoch-milliseconds column as the ISO time the API shows (null stays null). */
export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    queue: row.queue,
    payload: JSON.parse(row.payload) as JobPayloads[QueueName],
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    progress: row.progress,
    progressMessage: row.progress_message,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
    cancelRequested: row.cancel_requested === 1,
    createdAt: new Date(row.created_at).toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}
