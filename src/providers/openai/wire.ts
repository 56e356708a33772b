/**
 * The OpenAI chat-completions wire format (`POST {baseUrl}/chat/completions`, `/embeddings`), as
 * OpenAI documents it and Groq, vLLM and LM Studio speak it: what Keel sends and reads back.
 * Only the fields Keel uses are checked; the rest of each reply passes through unread.
 */
import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string() }),
});

/** A `chat/completions` request body as Keel sends it (vision sends content parts). */
export const completionRequestSchema = z.object({
  model: z.string(),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'user', 'assistant']),
        content: z.union([z.string(), z.array(z.union([textPart, imagePart]))]),
      }),
    )
    .min(1),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  stream: z.boolean(),
  stream_options: z.object({ include_usage: z.boolean() }).optional(),
});

export type CompletionRequest = z.input<typeof completionRequestSchema>;

export const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() });

/** A non-streamed chat completion; vision replies come in the same shape. */
export const completionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

/**
 * One `data:` event of a streamed completion. With `stream_options.include_usage` the last one
 * before `data: [DONE]` has no choices and carries the usage.
 */
export const chunkSchema = z.object({
  model: z.string().optional(),
  choices: z.array(
    z.object({
      delta: z.object({ content: z.string().nullish() }).nullish(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
});

/** The event that ends a stream; without it the answer may have been cut short. */
export const STREAM_END = '[DONE]';

export const embeddingsRequestSchema = z.object({
  model: z.string(),
  input: z.array(z.string()),
  encoding_format: z.literal('float'),
});

export type EmbeddingsRequest = z.input<typeof embeddingsRequestSchema>;

export const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int(), embedding: z.array(z.number()) })),
});
