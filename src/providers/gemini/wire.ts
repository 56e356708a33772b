/**
 * Google's Gemini API wire format: `models/{model}:generateContent`, `:streamGenerateContent`
 * (server-sent events with `alt=sse`, each event a whole response holding the next piece) and
 * `:batchEmbedContents`. Only the fields Keel uses are checked; the rest passes through unread.
 */
import { z } from 'zod';

const textPart = z.object({ text: z.string() });
const inlineDataPart = z.object({
  inline_data: z.object({ mime_type: z.string(), data: z.string() }),
});

/** A `generateContent` request body as Keel sends it (vision adds an `inline_data` part). */
export const generateRequestSchema = z.object({
  contents: z
    .array(
      z.object({
        role: z.enum(['user', 'model']),
        parts: z.array(z.union([textPart, inlineDataPart])).min(1),
      }),
    )
    .min(1),
  systemInstruction: z.object({ parts: z.array(textPart).min(1) }).optional(),
  generationConfig: z
    .object({
      temperature: z.number().optional(),
      maxOutputTokens: z.number().int().optional(),
    })
    .optional(),
});

export type GenerateRequest = z.input<typeof generateRequestSchema>;

/** A `generateContent` reply (and each event of a streamed one); vision replies too. */
export const responseSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z
          .object({
            parts: z.array(
              z.object({ text: z.string().optional(), thought: z.boolean().optional() }),
            ),
          })
          .optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  usageMetadata: z
    .object({
      promptTokenCount: z.number().optional(),
      candidatesTokenCount: z.number().optional(),
    })
    .optional(),
  modelVersion: z.string().optional(),
  promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
});

export type GeminiResponse = z.infer<typeof responseSchema>;

export const batchEmbedRequestSchema = z.object({
  requests: z.array(
    z.object({ model: z.string(), content: z.object({ parts: z.array(textPart) }) }),
  ),
});

export type BatchEmbedRequest = z.input<typeof batchEmbedRequestSchema>;

export const batchEmbedSchema = z.object({
  embeddings: z.array(z.object({ values: z.array(z.number()) })),
});
