import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { UpstreamError } from '../errors.js';
import {
  CHAT_PORT_VERSION,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
} from './provider.js';
import type { VisionProvider, VisionRequest, VisionResult } from './vision-provider.js';
import { badResponse, extractUpstreamMessage, parseJsonReply } from './http-reply.js';
import { Deadline, retryDelayMs } from './http-timing.js';
import { type HttpReply, httpPost } from '../net/http-post.js';

/** What every remote adapter needs to reach its service; built by `factory.ts` from Config. */
export interface RemoteProviderOptions {
  /** Names the provider in errors and results: `openai`, `groq`, `ollama`, `gemini`. */
  name: string;
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** Limit for one attempt; for streams, the longest silence allowed between two chunks. */
  timeoutMs: number;
  /** Extra attempts after a retryable failure. */
  retries: number;
  /** First backoff step; tests shrink it. */
  backoffBaseMs?: number;
}

export interface JsonPost {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal | undefined;
}

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429]);
// A server asking us to wait longer than this will not be ready within any sensible answer time.
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * A bearer header only when there is a key: keyless servers (vLLM, LM Studio, Ollama) may reject
 * an empty bearer, and an Ollama behind an authenticating proxy still gets one.
 */
export function bearerHeader(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/**
 * JSON-over-HTTP for one provider: timeouts, retries with backoff, and every failure turned into
 * an `UpstreamError` whose message and details name the provider but never carry its API key.
 */
export class ProviderHttp {
  constructor(private readonly options: RemoteProviderOptions) {}

  /** POSTs and parses the JSON reply with `schema`; retries the whole call on retryable failures. */
  async postJson<T>(post: JsonPost, schema: z.ZodType<T>): Promise<T> {
    const text = await this.withRetries(post.signal, async () => {
      // The limit covers the whole attempt, reading the reply included.
      const deadline = new Deadline(this.options.timeoutMs, post.signal);
      try {
        const reply = await this.send(post, deadline.signal);
        return await reply.text();
      } finally {
        deadline.clear();
      }
    });
    return parseJsonReply(this.options.name, schema, text);
  }

  /**
   * POSTs and yields the streamed reply line by line. Only opening the stream is retried: once
   * lines flow, a failure is final, because the caller may already have shown part of the answer.
   */
  async postStream(post: JsonPost): Promise<AsyncIterable<string>> {
    const { reply, deadline } = await this.withRetries(post.signal, async () => {
      // The signal also governs the body, so a fixed timeout would cut off long answers.
      const attemptDeadline = new Deadline(this.options.timeoutMs, post.signal);
      try {
        return { reply: await this.send(post, attemptDeadline.signal), deadline: attemptDeadline };
      } catch (error) {
        attemptDeadline.clear();
        throw error;
      }
    });
    return this.readLines(reply, deadline, post.signal);
  }

  private async *readLines(
    reply: HttpReply,
    deadline: Deadline,
    callerSignal: AbortSignal | undefined,
  ): AsyncGenerator<string> {
    let pending = '';
    deadline.extend();
    try {
      for await (const chunk of reply.chunks()) {
        deadline.extend();
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) yield line.replace(/\r$/, '');
      }
      if (pending.length > 0) yield pending.replace(/\r$/, '');
    } catch (error) {
      throw this.toUpstreamError(error, callerSignal, 1);
    } finally {
      deadline.clear();
      // Stops the upstream generating tokens nobody will read when the consumer leaves early.
      reply.discard();
    }
  }

  private async send(post: JsonPost, signal: AbortSignal): Promise<HttpReply> {
    const reply = await httpPost(post.url, {
      headers: { 'content-type': 'application/json', accept: 'application/json', ...post.headers },
      body: JSON.stringify(post.body),
      signal,
    });
    if (reply.ok) return reply;
    const upstreamMessage = this.scrub(extractUpstreamMessage(await reply.text()));
    const retryable = RETRYABLE_STATUSES.has(reply.status) || reply.status >= 500;
    throw new UpstreamError(
      retryable ? 'provider_unavailable' : 'provider_rejected',
      `${this.options.name} answered HTTP ${reply.status}: ${upstreamMessage}`,
      {
        provider: this.options.name,
        status: reply.status,
        retryAfter: reply.header('retry-after'),
      },
      retryable,
    );
  }

  private async withRetries<T>(
    callerSignal: AbortSignal | undefined,
    attempt: () => Promise<T>,
  ): Promise<T> {
    const { retries, backoffBaseMs } = this.options;
    for (let attemptNumber = 0; ; attemptNumber += 1) {
      try {
        return await attempt();
      } catch (error) {
        const failure = this.toUpstreamError(error, callerSignal, attemptNumber + 1);
        const retryAfter = failure.details.retryAfter;
        const delay = retryDelayMs(
          attemptNumber,
          typeof retryAfter === 'string' ? retryAfter : null,
          backoffBaseMs,
        );
        if (!failure.retryable || attemptNumber >= retries || delay > MAX_RETRY_AFTER_MS) {
          throw failure;
        }
        await sleep(delay, undefined, { signal: callerSignal }).catch(() => {
          throw callerSignal?.reason ?? failure;
        });
      }
    }
  }

  /** Classifies any failure; a caller's own cancellation is passed through untouched. */
  private toUpstreamError(
    error: unknown,
    callerSignal: AbortSignal | undefined,
    attempts: number,
  ): UpstreamError {
    if (callerSignal?.aborted) throw callerSignal.reason;
    const provider = this.options.name;
    if (error instanceof UpstreamError) {
      return new UpstreamError(
        error.code,
        error.message,
        { ...error.details, attempts },
        error.retryable,
        error.status,
      );
    }
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new UpstreamError(
        'provider_timeout',
        `${provider} did not answer within ${this.options.timeoutMs} ms`,
        { provider, timeoutMs: this.options.timeoutMs, attempts },
        true,
        504,
      );
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new UpstreamError(
      'provider_unavailable',
      `Could not reach ${provider} at ${safeOrigin(this.options.baseUrl)}: ${this.scrub(reason)}`,
      { provider, attempts },
    );
  }

  /** For adapters that find a reply unusable after parsing. */
  badResponse(reason: string): UpstreamError {
    return badResponse(this.options.name, reason);
  }

  private scrub(text: string): string {
    const key = this.options.apiKey;
    return key ? text.split(key).join('[redacted]') : text;
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'its configured URL';
  }
}

/** What every remote adapter holds: its name, model and HTTP plumbing. */
abstract class RemoteProvider {
  readonly name: string;
  readonly model: string;
  protected readonly http: ProviderHttp;

  constructor(protected readonly options: RemoteProviderOptions) {
    this.name = options.name;
    this.model = options.model;
    this.http = new ProviderHttp(options);
  }
}

export abstract class RemoteChatProvider extends RemoteProvider implements ChatProvider {
  readonly portVersion = CHAT_PORT_VERSION;
  abstract chat(request: ChatRequest): Promise<ChatResult>;
  abstract stream(request: ChatRequest): AsyncIterable<ChatStreamEvent>;
}

export abstract class RemoteVisionProvider extends RemoteProvider implements VisionProvider {
  abstract analyze(request: VisionRequest): Promise<VisionResult>;
}
