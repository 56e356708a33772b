import { z } from 'zod';
import { governedAnswerSchema } from '../../governor/answer-schema.js';

/** Text of a message: a plain string, or OpenAI's content parts of which only text is read. */
const contentSchema = z.union([
  z.string(),
  z.array(
    z.union([
      z.object({ type: z.literal('text'), text: z.string() }),
      z.object({ type: z.string() }).loose(),
    ]),
  ),
  z.null(),
]);

const messageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: contentSchema.optional(),
    name: z.string().optional(),
  })
  .loose();

/**
 * `POST /v1/chat/completions`: the fields Keel reads. Other fields standard clients send
 * (`top_p`, `presence_penalty`, `seed`…) are accepted and ignored, as the governed agent decides.
 */
export const completionBodySchema = z.object({
  model: z.string().min(1).max(64).describe('A Keel agent id (see GET /v1/models)'),
  messages: z
    .array(messageSchema)
    .min(1)
    .max(200)
    .describe('The last user message is the governed question'),
  stream: z.boolean().optional().describe('Answer as `chat.completion.chunk` Server-Sent Events'),
  stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  n: z.literal(1).nullable().optional().describe('Only one choice is generated'),
  user: z.string().max(256).optional().describe('Your end user, recorded in the audit record'),
});

export type CompletionBody = z.infer<typeof completionBodySchema>;

/** The governed answer's extra facts, in a field standard OpenAI clients ignore. */
export const keelExtensionSchema = governedAnswerSchema.pick({
  citations: true,
  decision: true,
  policy: true,
  flags: true,
  knowledgeVersions: true,
  provider: true,
  model: true,
  traceId: true,
});

export const completionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal('assistant'),
        content: z.string(),
        refusal: z.null(),
      }),
      finish_reason: z.enum(['stop', 'length']),
      logprobs: z.null(),
    }),
  ),
  usage: z.object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
  }),
  keel: keelExtensionSchema,
});

export const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
});

export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelSchema) });

/** OpenAI's error object plus Keel's `details`: both kinds of client read what they know. */
export const openAiErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .describe('OpenAI-style error; `code` is the Keel code (e.g. input_refused)');
