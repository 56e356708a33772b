import { z } from 'zod';

/**
 * The contract of a governed answer (SPEC section 4) and of an input check, defined once: the
 * API's responses, the orchestrator's client (which parses what the orchestrator sends instead
 * of trusting it), the answer cache and the generated versions' metadata all use these schemas,
 * and the types below are inferred from them.
 */

const decisionStatusSchema = z.enum(['allowed', 'redacted', 'refused']);
export type DecisionStatus = z.infer<typeof decisionStatusSchema>;

export const decisionSchema = z.object({
  status: decisionStatusSchema,
  reasons: z.array(z.string()),
});
export type Decision = z.infer<typeof decisionSchema>;

export const citationSchema = z.object({
  index: z.number().int(),
  path: z.string(),
  heading: z.string(),
  lines: z.tuple([z.number().int(), z.number().int()]).describe('First and last line, 1-based'),
  version: z.string(),
  score: z.number(),
});
export type Citation = z.infer<typeof citationSchema>;

export const usageSchema = z.object({
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
});

/** The policy version that governed a call. */
export const policyRefSchema = z.object({ id: z.string(), version: z.string() });

const memorySummarySchema = z.object({
  id: z.string(),
  kind: z.string().describe('preference, fact or instruction'),
  text: z.string(),
});

export const governedAnswerSchema = z.object({
  answer: z.string(),
  citations: z.array(citationSchema),
  usage: usageSchema,
  policy: policyRefSchema,
  decision: decisionSchema,
  agent: z.string().nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  knowledgeVersions: z.record(z.string(), z.string()),
  flags: z.array(z.string()),
  traceId: z.string(),
  memories: z
    .array(memorySummarySchema)
    .describe(
      "The asking user's long-term memories the model was given as `<user-memory>` data (the most relevant to the question; empty when memory is off or none applied)",
    ),
});
export type GovernedAnswer = z.infer<typeof governedAnswerSchema>;

/** One step's entry in a call's record: what it decided and why. */
const stepRecordSchema = z.object({
  id: z.string(),
  decision: z.string(),
  reasons: z.array(z.string()),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

/** The input policy's verdict on a text (`/v1/governor/check`, memory admission). */
export const inputCheckSchema = z.object({
  decision: decisionSchema,
  redactedText: z.string(),
  policy: policyRefSchema,
  steps: z.array(stepRecordSchema),
});
export type InputCheck = z.infer<typeof inputCheckSchema>;
