import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { UpstreamError } from '../../src/errors.js';
import type { ExtractiveGrounding } from '../../src/providers/extractive.js';
import type { RemoteProviderOptions } from '../../src/providers/http.js';
import {
  CHAT_PORT_VERSION,
  type ChatParams,
  type ChatProvider,
  type ChatRequest,
  type ChatStreamEvent,
  type TokenUsage,
} from '../../src/providers/provider.js';
import { recorded, replayPerTest } from '../fixtures/providers/replay-server.js';

/** What a remote adapter is played: its provider's recorded replies, and where it must send. */
export interface RecordedApi {
  provider: 'openai' | 'ollama' | 'gemini';
  /** The key the adapter is configured with. */
  apiKey: string;
  /** The header that carries the key. */
  keyHeader: string;
  /** Path and query of a chat call, and of a streamed one. */
  paths: { chat: string; stream: string };
  /** The recorded stream: `stream.sse` or `stream.ndjson`. */
  stream: string;
  /** Every recorded error reply, `error-<status>.json`. */
  errors: string[];
  /** The provider's request body as documented; what the adapter sends must pass it. */
  requestSchema: z.ZodType;
  /** The call settings as the sent body carries them. */
  paramsOf(body: unknown): ChatParams;
}

/** A chat adapter to test, and what it must answer. */
export interface ChatSubject {
  /** The adapter; a remote one with `url` as its base URL and `overrides` on its options. */
  create(url: string, overrides?: Partial<RemoteProviderOptions>): ChatProvider;
  /** The answer the recorded reply holds (or, for the extractive adapter, its grounding gives). */
  expected: { name: string; model: string; text: string; usage: TokenUsage };
  /** Remote adapters only. */
  api?: RecordedApi;
}

/** The request every adapter is sent: a prompt, an output cap and a temperature. */
export const contractRequest: ChatRequest = {
  messages: [
    { role: 'system', content: 'Answer only from the passages; cite them as [n].' },
    {
      role: 'user',
      content:
        'Passages:\n\n[1] policies.md > Rolling back\nTo roll back a policy to the previously active version, run `keel policy rollback`.\n\nQuestion: How do I roll back a policy?',
    },
  ],
  maxOutputTokens: 300,
  temperature: 0.2,
};

/** The question and passage the request holds, as the extractive adapter is given them. */
export const contractGrounding: ExtractiveGrounding = {
  question: 'How do I roll back a policy?',
  passages: [
    {
      index: 1,
      chunkId: 10,
      path: 'policies.md',
      heading: 'Policies > Rolling back',
      lines: [4, 12],
      version: 'v1',
      score: 1,
      text: 'To roll back a policy to the previously active version, run `keel policy rollback`.',
    },
  ],
};

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const collected: ChatStreamEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429]);
const isRetryable = (status: number) => RETRYABLE_STATUSES.has(status) || status >= 500;
const statusOf = (file: string) => Number(/error-(\d{3})/.exec(file)?.[1]);

/** The message of a recorded error body: `{error: "…"}` (Ollama) or `{error: {message}}`. */
function upstreamMessage(provider: string, file: string): string {
  const body = JSON.parse(recorded(provider, file)) as { error: string | { message: string } };
  return typeof body.error === 'string' ? body.error : body.error.message;
}

/**
 * The chat port's contract: every chat adapter (OpenAI-compatible, Ollama, Gemini, extractive)
 * passes it unchanged. Remote adapters are played their provider's recorded replies
 * (`test/fixtures/providers/recorded/`) by a local HTTP server, including its recorded errors and
 * replies damaged on the way.
 *
 * @example
 *   describeChatProviderContract('ollama', {
 *     create: (url, overrides) =>
 *       new OllamaChatProvider(optionsUnderTest({ name: 'ollama', baseUrl: url, apiKey, model }, overrides)),
 *     expected: { name: 'ollama', model: 'llama3.2', text: '…', usage: { inputTokens: 86, outputTokens: 14 } },
 *     api: { provider: 'ollama', … },
 *   });
 */
export function describeChatProviderContract(name: string, subject: ChatSubject): void {
  describe(`chat provider contract: ${name}`, () => {
    const { api, expected } = subject;
    const replayServer = api && replayPerTest(api.provider);
    const replay = () => replayServer?.();
    const url = () => replay()?.url ?? '';
    const serve = (file: string) => replay()?.play({ file });
    const requests = () => replay()?.requests ?? [];

    it(`implements chat port ${CHAT_PORT_VERSION} and names itself`, () => {
      const provider = subject.create(url());
      expect(provider.portVersion).toBe(CHAT_PORT_VERSION);
      expect(provider.name).toBe(expected.name);
    });

    it('answers with its text, the usage reported, the model and why it stopped', async () => {
      serve('reply.json');
      const result = await subject.create(url()).chat(contractRequest);
      expect(result).toEqual({
        text: expected.text,
        usage: expected.usage,
        provider: expected.name,
        model: expected.model,
        finishReason: 'stop',
      });
    });

    it('streams deltas that add up to the same answer, usage in the final result', async () => {
      serve(api?.stream ?? '');
      const events = await collect(subject.create(url()).stream(contractRequest));
      const deltas = events.flatMap((event) => (event.type === 'delta' ? [event.text] : []));
      expect(deltas.length).toBeGreaterThan(api ? 1 : 0);
      expect(deltas.join('')).toBe(expected.text);
      expect(events.filter((event) => event.type === 'done')).toHaveLength(1);
      expect(events.at(-1)).toEqual({
        type: 'done',
        result: {
          text: expected.text,
          usage: expected.usage,
          provider: expected.name,
          model: expected.model,
          finishReason: 'stop',
        },
      });
    });

    it('stops when the caller cancels, without retrying', async () => {
      replay()?.play({ file: 'reply.json', delayMs: 5_000 });
      const controller = new AbortController();
      if (!api) controller.abort();
      const pending = subject.create(url()).chat({ ...contractRequest, signal: controller.signal });
      while (api && requests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(requests().length).toBeLessThanOrEqual(1);
    });

    if (!api) return;
    const retryableErrors = api.errors.filter((file) => isRetryable(statusOf(file)));

    it('sends the documented request: path, body, settings, the key only in its header', async () => {
      replay()?.play({ file: 'reply.json' }, { file: api.stream });
      await subject.create(url()).chat(contractRequest);
      await collect(subject.create(url()).stream(contractRequest));

      expect(requests().map((sent) => sent.url)).toEqual([api.paths.chat, api.paths.stream]);
      for (const sent of requests()) {
        expect(api.requestSchema.safeParse(sent.body).error).toBeUndefined();
        expect(api.paramsOf(sent.body)).toEqual({ temperature: 0.2, maxOutputTokens: 300 });
        for (const message of contractRequest.messages) {
          expect(JSON.stringify(sent.body)).toContain(JSON.stringify(message.content));
        }
        expect(sent.headers[api.keyHeader]).toContain(api.apiKey);
        expect(sent.url).not.toContain(api.apiKey);
      }
    });

    it('reports an answer cut by the output cap as finishReason length', async () => {
      serve('reply-length.json');
      const result = await subject.create(url()).chat(contractRequest);
      expect(result.finishReason).toBe('length');
      expect(result.text).not.toBe('');
    });

    it.each(api.errors)('maps the recorded %s, retrying only what may pass later', async (file) => {
      const status = statusOf(file);
      const retryable = isRetryable(status);
      serve(file);
      const error = await failure(subject.create(url(), { retries: 2 }).chat(contractRequest));

      expect(error.code).toBe(retryable ? 'provider_unavailable' : 'provider_rejected');
      expect(error.retryable).toBe(retryable);
      expect(error.details).toMatchObject({ provider: expected.name, status });
      expect(requests()).toHaveLength(retryable ? 3 : 1);
      const message = upstreamMessage(api.provider, file).split(api.apiKey).join('[redacted]');
      expect(error.message).toContain(message.replace(/\s+/g, ' '));
      expect(`${error.message}${JSON.stringify(error.details)}`).not.toContain(api.apiKey);
    });

    it('answers after a retryable error, honouring Retry-After', async () => {
      const busy = retryableErrors[0] ?? '';
      replay()?.play({ file: busy, headers: { 'retry-after': '0' } }, { file: 'reply.json' });
      const result = await subject.create(url()).chat(contractRequest);
      expect(result.text).toBe(expected.text);
      expect(requests()).toHaveLength(2);
    });

    it('reports a body cut short or of the wrong shape as provider_bad_response', async () => {
      replay()?.play({ file: 'reply.json', damage: 'cut' });
      const cut = await failure(subject.create(url()).chat(contractRequest));
      expect(cut.code).toBe('provider_bad_response');
      expect(cut.retryable).toBe(false);

      replay()?.play({
        body: '{"object":"list","data":[]}',
        headers: { 'content-type': 'application/json' },
      });
      const wrong = await failure(subject.create(url()).chat(contractRequest));
      expect(wrong.code).toBe('provider_bad_response');
      expect(requests()).toHaveLength(2);
    });

    it("reports a proxy's HTML error page with its text", async () => {
      replay()?.play({ status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' });
      const error = await failure(subject.create(url(), { retries: 0 }).chat(contractRequest));
      expect(error.code).toBe('provider_unavailable');
      expect(error.message).toContain('502 Bad Gateway');
    });

    it('reports a garbled stream event and a stream cut before its end as provider_bad_response', async () => {
      replay()?.play({ file: api.stream, damage: 'garble' });
      const garbled = await failure(collect(subject.create(url()).stream(contractRequest)));
      expect(garbled.code).toBe('provider_bad_response');

      replay()?.play({ file: api.stream, damage: 'truncate' });
      const truncated = await failure(collect(subject.create(url()).stream(contractRequest)));
      expect(truncated.code).toBe('provider_bad_response');
    });

    it('times out a silent server, and a stream that falls silent, as provider_timeout', async () => {
      replay()?.play({ file: 'reply.json', delayMs: 2_000 });
      const silent = subject.create(url(), { timeoutMs: 100, retries: 0 });
      const error = await failure(silent.chat(contractRequest));
      expect(error.code).toBe('provider_timeout');
      expect(error.retryable).toBe(true);

      replay()?.play({ file: api.stream, stallAfterFirstMs: 2_000 });
      const stalled = await failure(collect(silent.stream(contractRequest)));
      expect(stalled.code).toBe('provider_timeout');
    });

    it('lets a stream outlast the timeout as long as it never falls silent for it', async () => {
      replay()?.play({ file: api.stream, pieceIntervalMs: 150 });
      const provider = subject.create(url(), { timeoutMs: 400, retries: 0 });
      const events = await collect(provider.stream(contractRequest));
      expect(events.at(-1)?.type).toBe('done');
    });

    it('reports an unreachable server as provider_unavailable', async () => {
      await replay()?.close();
      const error = await failure(subject.create(url(), { retries: 0 }).chat(contractRequest));
      expect(error.code).toBe('provider_unavailable');
      expect(error.message).toContain(`Could not reach ${expected.name}`);
    });
  });
}
