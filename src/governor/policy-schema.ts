import { z } from 'zod';

const piiAction = z.enum(['redact', 'block', 'allow']);

const passageInjectionSchema = z
  .object({
    action: z.enum(['flag', 'fence', 'drop']).default('fence'),
    threshold: z.number().min(0).max(1).optional(),
  })
  .strict()
  .default({ action: 'fence' });

/**
 * How a canary of a new policy version is judged (`keel policy canary`): the active version's
 * settings apply, so a version on trial cannot loosen its own rollout. Each `max*Increase` is
 * how far the canary's rate may exceed the active version's (absolute, 0.05 = 5 points) before
 * it is rolled back; latency is rolled back when its p95 is both `maxLatencyP95Ratio` times the
 * active one's and `minLatencyIncreaseMs` slower. Nothing is judged before `minCalls` canary
 * calls; after `windowSeconds` without a crossing it is promoted.
 */
const canarySchema = z
  .object({
    windowSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .default(1800),
    minCalls: z.number().int().min(1).max(1_000_000).default(50),
    maxRefusalRateIncrease: z.number().min(0).max(1).default(0.05),
    maxErrorRateIncrease: z.number().min(0).max(1).default(0.02),
    maxGroundingFailureRateIncrease: z.number().min(0).max(1).default(0.05),
    maxLatencyP95Ratio: z.number().min(1).max(100).default(1.5),
    minLatencyIncreaseMs: z.number().int().min(0).max(600_000).default(250),
  })
  .strict()
  .prefault({});

/** `policies/policy.yaml`: the rules every call runs under. */
export const policySchema = z
  .object({
    id: z.string().min(1),
    description: z.string().default(''),
    input: z
      .object({
        maxChars: z.number().int().positive().max(1_000_000).default(8000),
        injection: z
          .object({
            action: z.enum(['refuse', 'flag']).default('refuse'),
            threshold: z.number().min(0).max(1).optional(),
            /** Score at which a message is answered but flagged for audit; at most `threshold`. */
            flagThreshold: z.number().min(0).max(1).optional(),
          })
          .default({ action: 'refuse' }),
        pii: z
          .object({
            email: piiAction.default('redact'),
            phone: piiAction.default('redact'),
            card: piiAction.default('block'),
            iban: piiAction.default('redact'),
            secret: piiAction.default('block'),
          })
          .default({
            email: 'redact',
            phone: 'redact',
            card: 'block',
            iban: 'redact',
            secret: 'block',
          }),
        topics: z
          .array(
            z.object({
              id: z.string().min(1),
              pattern: z.string().min(1),
              reason: z.string().min(1),
            }),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    retrieval: z
      .object({
        k: z.number().int().min(1).max(50).default(6),
        tokenBudget: z.number().int().min(50).max(100_000).default(1500),
        /**
         * Retrieved passages that read like a prompt injection (a synced document saying "ignore
         * previous instructions"): `flag` passes them on and flags the answer, `fence` (default)
         * passes them on inside an untrusted-text fence the model is told never to obey, `drop`
         * leaves them out of the model's context.
         */
        injection: passageInjectionSchema,
      })
      .strict()
      .default({ k: 6, tokenBudget: 1500, injection: { action: 'fence' } }),
    output: z
      .object({
        requireCitations: z.boolean().default(true),
        grounding: z.enum(['refuse', 'flag']).default('refuse'),
        minSupport: z.number().min(0).max(1).default(0.5),
        maxUnsupportedRatio: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({
        requireCitations: true,
        grounding: 'refuse',
        minSupport: 0.5,
        maxUnsupportedRatio: 0.5,
      }),
    canary: canarySchema,
  })
  .strict();

/** `policies/agents/*.yaml`: a versioned prompt + model + knowledge scopes + routing rules. */
export const agentSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
    description: z.string().default(''),
    prompt: z.string().min(1),
    provider: z.enum(['extractive', 'openai', 'groq', 'ollama', 'gemini']).optional(),
    model: z.string().min(1).optional(),
    knowledge: z.object({ scopes: z.array(z.string().min(1)).default([]) }).default({ scopes: [] }),
    routing: z
      .object({
        keywords: z.array(z.string().min(1)).default([]),
        patterns: z.array(z.string().min(1)).default([]),
      })
      .default({ keywords: [], patterns: [] }),
    default: z.boolean().default(false),
    /**
     * Long-term memory of each user: on unless the policy turns it off. `k` caps how many of a
     * user's memories (the most relevant to the question) one answer may see.
     */
    memory: z
      .object({
        enabled: z.boolean().default(true),
        k: z.number().int().min(1).max(20).default(5),
      })
      .strict()
      .default({ enabled: true, k: 5 }),
  })
  .strict();

/** `policies/tests/*.yaml`: cases `keel policy test` runs through the input governor. */
export const policyTestSchema = z.object({
  cases: z
    .array(
      z.object({
        name: z.string().min(1),
        input: z.string(),
        expect: z.enum(['allowed', 'redacted', 'refused']),
        agent: z.string().optional(),
      }),
    )
    .min(1),
});

export type Policy = z.output<typeof policySchema>;
export type CanarySettings = Policy['canary'];
export type AgentDefinition = z.output<typeof agentSchema>;
export type PolicyTestFile = z.output<typeof policyTestSchema>;
