import * as z from 'zod/mini';

/**
 * The API's shapes the app's logic depends on, checked where the JSON comes in (zod/mini keeps
 * the bundle small). Lists that are only displayed are typed in `types.ts` instead.
 */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});

export const appConfigSchema = z.object({
  apiOrigin: z.optional(z.nullable(z.string())),
  authEnabled: z.optional(z.boolean()),
  setupRequired: z.optional(z.boolean()),
});

export const tokenPairSchema = z.object({ accessToken: z.string(), expiresIn: z.number() });

export const decisionSchema = z.object({
  status: z.enum(['allowed', 'redacted', 'refused']),
  reasons: z.array(z.string()),
});

export const citationSchema = z.object({
  index: z.number(),
  path: z.string(),
  heading: z.string(),
  lines: z.tuple([z.number(), z.number()]),
  version: z.string(),
  score: z.optional(z.number()),
});

/** A long-term memory of the asking user that the model was given for an answer. */
export const usedMemorySchema = z.object({
  id: z.string(),
  kind: z.string(),
  text: z.string(),
});
export type UsedMemory = z.infer<typeof usedMemorySchema>;

export const answerSchema = z.object({
  answer: z.string(),
  citations: z.array(citationSchema),
  decision: decisionSchema,
  usage: z.optional(z.object({ inputTokens: z.number(), outputTokens: z.number() })),
  policy: z.optional(z.object({ id: z.string(), version: z.string() })),
  agent: z.optional(z.nullable(z.string())),
  provider: z.optional(z.nullable(z.string())),
  model: z.optional(z.nullable(z.string())),
  flags: z.optional(z.array(z.string())),
  memories: z.optional(z.array(usedMemorySchema)),
  traceId: z.optional(z.string()),
  conversationId: z.optional(z.string()),
});

export const deltaSchema = z.object({ text: z.string() });
export const metaSchema = z.object({
  traceId: z.optional(z.string()),
  conversationId: z.optional(z.string()),
});

export const jobStateSchema = z.enum([
  'queued',
  'running',
  'completed',
  'failed',
  'dead',
  'cancelled',
]);

export const jobEventSchema = z.object({
  type: z.string(),
  jobId: z.optional(z.string()),
  progress: z.optional(z.number()),
  message: z.optional(z.nullable(z.string())),
  error: z.optional(z.string()),
  state: z.optional(jobStateSchema),
});

export type Citation = z.infer<typeof citationSchema>;
export type Decision = z.infer<typeof decisionSchema>;
export type Answer = z.infer<typeof answerSchema>;
export type JobState = z.infer<typeof jobStateSchema>;
export type JobEvent = z.infer<typeof jobEventSchema>;
