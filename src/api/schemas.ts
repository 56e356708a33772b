import { z } from 'zod';
import { governedAnswerSchema } from '../governor/answer-schema.js';

/** Body limit of routes that take a few small fields (sign-in, keys, users): 16 KiB. */
export const SMALL_BODY = 16 * 1024;

/** Response and request shapes of the public API; the OpenAPI document is generated from these. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .describe('Every error: a stable code, a sentence for people, and details naming what was wrong');

export { decisionSchema } from '../governor/answer-schema.js';

export const answerSchema = governedAnswerSchema.extend({
  conversationId: z
    .string()
    .optional()
    .describe('The conversation the exchange was appended to (signed-in users and the local user)'),
});

export const chatBodySchema = z
  .object({
    message: z.string().describe('The question; limits come from the active policy'),
    agent: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('Agent id; default: chosen by routing rules'),
    stream: z.boolean().optional().describe('Answer as Server-Sent Events'),
    k: z.number().int().min(1).max(50).optional().describe('Passages to retrieve'),
    conversationId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('Append to this conversation of yours; default: a new one'),
  })
  .strict();

export const searchQuerySchema = z.object({
  q: z.string().min(1, 'q must not be empty').max(2000),
  k: z.coerce.number().int().min(1).max(100).default(10),
});

export const hitSchema = z.object({
  path: z.string(),
  heading: z.string(),
  lines: z.array(z.number().int()).length(2).describe('First and last line, 1-based'),
  version: z.string(),
  score: z.number(),
  text: z.string(),
  source: z.string(),
  scores: z.object({
    lexical: z.number().nullable(),
    vector: z.number().nullable(),
    fused: z.number().nullable(),
  }),
});

export const sourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['folder', 'git']),
  location: z.string(),
  config: z.object({
    include: z.array(z.string()).optional(),
    exclude: z.array(z.string()).optional(),
    fields: z.object({ id: z.string(), title: z.string(), text: z.string() }).partial().optional(),
    branch: z.string().optional(),
  }),
  version: z.string().nullable(),
  lastSyncAt: z.string().nullable(),
  lastSyncStatus: z.string(),
  lastSyncMessage: z.string().nullable(),
  createdAt: z.string(),
  documents: z.number().int(),
  chunks: z.number().int(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});

export const newSourceSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, ".", "_" and "-", up to 64'),
    kind: z.enum(['folder', 'git']),
    location: z.string().min(1).max(4096),
    branch: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/)
      .optional(),
    include: z
      .array(z.string().regex(/^\.[A-Za-z0-9]+$/, 'an extension like ".md"'))
      .max(20)
      .optional(),
    exclude: z.array(z.string().min(1).max(200)).max(100).optional(),
    fields: z
      .object({ id: z.string().min(1), title: z.string().min(1), text: z.string().min(1) })
      .partial()
      .strict()
      .optional(),
  })
  .strict();
