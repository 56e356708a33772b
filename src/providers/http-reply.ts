/** Reading what providers send back: JSON replies, stream chunks, SSE events, error bodies. */
import { z } from 'zod';
import { UpstreamError } from '../errors.js';
import { serverSentEvents } from '../net/server-sent-events.js';
import type { ChatRequest, TokenUsage } from './provider.js';
import { countTokens } from './token-count.js';

const UPSTREAM_MESSAGE_LIMIT = 300;

/** Parses a reply or stream chunk; anything that is not the expected shape is a bad response. */
export function parseJsonReply<T>(provider: string, schema: z.ZodType<T>, text: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badResponse(provider, 'the reply is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'reply';
    throw badResponse(provider, `unexpected reply shape at ${where}: ${issue?.message ?? '?'}`);
  }
  return parsed.data;
}

export function badResponse(provider: string, reason: string): UpstreamError {
  return new UpstreamError(
    'provider_bad_response',
    `${provider} sent an unusable reply: ${reason}`,
    { provider },
    false,
  );
}

/** Server-sent events: the `data` of each event in the stream's lines, read by eventsource-parser. */
export async function* serverSentData(lines: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const event of serverSentEvents(terminated(lines))) yield event.data;
}

/**
 * The lines with their ends back, and one more at the close: an OpenAI-compatible server that
 * ends on `data: [DONE]` without the blank line still ends the stream properly.
 */
async function* terminated(lines: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const line of lines) yield `${line}\n`;
  yield '\n';
}

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

const errorBodySchema = z.object({
  error: z.union([z.string(), z.object({ message: z.string() })]).optional(),
  message: z.string().optional(),
});

/** The error text providers put in their JSON error bodies (OpenAI, Gemini, Ollama shapes). */
export function extractUpstreamMessage(body: string): string {
  let message = body;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(body));
    const error = parsed.data?.error;
    message = (typeof error === 'string' ? error : error?.message) ?? parsed.data?.message ?? body;
  } catch {
    // Not JSON: an HTML error page from a proxy, say; its text is still the best clue.
  }
  const flat = message.replace(/\s+/g, ' ').trim() || 'no error message';
  return flat.length > UPSTREAM_MESSAGE_LIMIT ? `${flat.slice(0, UPSTREAM_MESSAGE_LIMIT)}…` : flat;
}

/** Token usage as the provider reported it, estimated for whichever side it left out. */
export function usageFrom(
  request: ChatRequest,
  text: string,
  reported: { input?: number | null | undefined; output?: number | null | undefined },
): TokenUsage {
  return {
    // The prompt is joined only to estimate: most servers report their own count.
    inputTokens:
      reported.input ?? countTokens(request.messages.map((message) => message.content).join('\n')),
    outputTokens: reported.output ?? countTokens(text),
  };
}

/** `usageFrom` for a prompt given as one text (a vision prompt, whose image the estimate skips). */
export function usageOf(
  prompt: string,
  text: string,
  reported: { input?: number | null | undefined; output?: number | null | undefined },
): TokenUsage {
  return {
    inputTokens: reported.input ?? countTokens(prompt),
    outputTokens: reported.output ?? countTokens(text),
  };
}
