import { z } from 'zod';
import { ValidationError } from '../errors.js';

/**
 * The queue contracts: every queue's name, the schema of its payload, and the defaults its jobs
 * run with. Producers (API, CLI, other domains) and consumers (processors) both import from here,
 * so a payload cannot drift between the side that enqueues it and the side that runs it.
 *
 * Jobs outlive deploys: a job enqueued by the previous release may be run by the next one, and the
 * other way round during a rolling deploy. So a field added to a payload is always optional (old
 * jobs lack it), and a field is never removed or retyped while jobs carrying it may be in flight.
 * Unknown fields are stripped, not refused, so an older worker still runs a newer job.
 */
export const QUEUE_NAMES = [
  'ingest',
  'generate',
  'memory',
  'webhooks',
  'images',
  'predictions',
  'vision',
] as const;

export type QueueName = (typeof QUEUE_NAMES)[number];

const id = z.string().min(1).max(200);

export const jobPayloadSchemas = {
  /** Sync one knowledge source (incremental: re-running a finished sync changes nothing). */
  ingest: z.object({ sourceId: id, workspaceId: id, requestedBy: id.optional() }),
  /** Long content generation with progress (AI-Writer). */
  generate: z.object({
    workspaceId: id,
    userId: id,
    prompt: z.string().min(1).max(100_000),
    agent: id.optional(),
    documentId: id.optional(),
  }),
  /** Long-term memory extraction from one of a user's conversations (Arbor & Kumori). */
  memory: z.object({ workspaceId: id, agentId: id, conversationId: id, userId: id }),
  /** One signed outbound delivery; `secretRef` names the signing secret, never holds it. */
  webhooks: z.object({
    url: z.url({ protocol: /^https?$/ }),
    event: z.string().min(1).max(200),
    payload: z.record(z.string(), z.unknown()),
    secretRef: id.optional(),
  }),
  /** Image generation on an external provider. */
  images: z.object({
    workspaceId: id,
    /** Whose quota the image spends; filled in from the caller by `POST /v1/jobs`. */
    userId: id.optional(),
    prompt: z.string().min(1).max(10_000),
    provider: id.optional(),
    size: z
      .string()
      .regex(/^\d{2,5}x\d{2,5}$/, 'must be WIDTHxHEIGHT, e.g. 1024x1024')
      .optional(),
  }),
  /** A scheduled forecast over an uploaded time series (Viral Cast). */
  predictions: z.object({
    workspaceId: id,
    seriesId: id,
    horizon: z.number().int().min(1).max(10_000),
  }),
  /** A batch of image analyses (Structra): images stored by `POST /v1/vision/batches`, by hash. */
  vision: z.object({
    workspaceId: id,
    /** Whose quota the analyses spend; filled in from the caller. */
    userId: id.optional(),
    images: z
      .array(z.string().regex(/^[0-9a-f]{64}$/, 'must be an image SHA-256 (64 hex characters)'))
      .min(1)
      .max(50),
    prompt: z.string().min(1).max(8_000).optional(),
    agent: id.optional(),
  }),
} satisfies Record<QueueName, z.ZodType>;

/** The payload type of each queue, as producers send it and processors receive it. */
export type JobPayloads = { [Q in QueueName]: z.infer<(typeof jobPayloadSchemas)[Q]> };

/**
 * How often a queue's jobs are tried and how long the first retry waits (later retries double it,
 * with jitter). Webhook receivers are often down for minutes, so deliveries try longest.
 */
export const QUEUE_DEFAULTS: Record<QueueName, { attempts: number; backoffMs: number }> = {
  ingest: { attempts: 3, backoffMs: 5_000 },
  generate: { attempts: 3, backoffMs: 10_000 },
  memory: { attempts: 5, backoffMs: 5_000 },
  webhooks: { attempts: 8, backoffMs: 10_000 },
  images: { attempts: 3, backoffMs: 15_000 },
  predictions: { attempts: 3, backoffMs: 30_000 },
  vision: { attempts: 3, backoffMs: 15_000 },
};

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

/**
 * Validates a payload against its queue's schema; throws a ValidationError naming each bad field.
 *
 * @example
 *   const payload = parsePayload('ingest', { sourceId: 'src_1', workspaceId: 'default' });
 */
export function parsePayload<Q extends QueueName>(queue: Q, payload: unknown): JobPayloads[Q] {
  const parsed = jobPayloadSchemas[queue].safeParse(payload);
  if (!parsed.success) {
    throw new ValidationError('invalid_payload', `Invalid payload for queue "${queue}"`, {
      queue,
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        message: issue.message,
      })),
    });
  }
  return parsed.data as JobPayloads[Q];
}
