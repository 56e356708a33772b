import { z } from 'zod';
import { QUEUE_NAMES } from '../../jobs/contracts.js';
import { MAX_PRIORITY } from '../../jobs/queue.js';

export const jobStates = ['queued', 'running', 'completed', 'failed', 'dead', 'cancelled'] as const;

/** A job as the API shows it: `JobRecord` from the queue port, unchanged. */
export const jobSchema = z
  .object({
    id: z.string(),
    queue: z.enum(QUEUE_NAMES),
    payload: z.record(z.string(), z.unknown()),
    state: z.enum(jobStates),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    priority: z.number().int(),
    progress: z.number(),
    progressMessage: z.string().nullable(),
    result: z.unknown(),
    error: z.string().nullable(),
    cancelRequested: z.boolean(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .describe('A durable job: its state, attempts, progress, result or last error');

export const newJobSchema = z.object({
  /** Checked against the queues that have a processor in the handler: 400 `unknown_queue`. */
  queue: z.string().min(1).max(64),
  /** Validated against the queue's payload schema by the queue: 400 `invalid_payload`. */
  payload: z.record(z.string(), z.unknown()),
  id: z
    .string()
    .regex(
      /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/,
      '1-128 letters, digits, "_", "-" or ".", not only digits',
    )
    .optional()
    .describe('Idempotency id: enqueueing the same id again returns the same job'),
  priority: z.number().int().min(0).max(MAX_PRIORITY).optional(),
  delayMs: z
    .number()
    .int()
    .min(0)
    .max(366 * 86_400_000)
    .optional(),
});

export const jobListQuerySchema = z.object({
  state: z.enum(jobStates).optional(),
  queue: z.enum(QUEUE_NAMES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const jobParamsSchema = z.object({ id: z.string().min(1).max(128) });

/** Where a job is read and followed, for `Location` headers and bodies. */
export function jobLinks(id: string) {
  const job = `/v1/jobs/${encodeURIComponent(id)}`;
  return { job, events: `${job}/events` };
}
