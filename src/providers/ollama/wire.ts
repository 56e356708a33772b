/**
 * Ollama's native wire format: `POST /api/chat` (one JSON object, or newline-delimited JSON when
 * streaming, token counts on the final `done` line) and `POST /api/embed`. Only the fields Keel
 * uses are checked; the rest (durations, timestamps) passes through unread.
 */
import { z } from 'zod';

/** An `/api/chat` request body as Keel sends it (vision adds base64 `images` to a message). */
export const chatRequestSchema = z.object({
  model: z.string(),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'user', 'assistant']),
        content: z.string(),
        images: z.array(z.string()).optional(),
      }),
    )
    .min(1),
  stream: z.boolean(),
  options: z
    .object({ temperature: z.number().optional(), num_predict: z.number().int().optional() })
    .optional(),
});

export type ChatRequestBody = z.input<typeof chatRequestSchema>;

/** A non-streamed `/api/chat` reply (also the last line of a stream); vision replies too. */
export const chatReplySchema = z.object({
  model: z.string().optional(),
  message: z.object({ content: z.string() }).optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
  prompt_eval_count: z.number().optional(),
  eval_count: z.number().optional(),
});

export type ChatReply = z.infer<typeof chatReplySchema>;

/** One line of a stream: a failure after streaming began arrives as a line of its own. */
export const streamLineSchema = z.union([z.object({ error: z.string() }), chatReplySchema]);

export const embedRequestSchema = z.object({ model: z.string(), input: z.array(z.string()) });

export type EmbedRequest = z.input<typeof embedRequestSchema>;

export const embedReplySchema = z.object({ embeddings: z.array(z.array(z.number())) });
