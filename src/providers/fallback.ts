/**
 * A chain of chat providers tried in order: when one fails upstream (timeout, outage, rejection,
 * garbage) the next answers instead, typically ending with the offline extractive provider.
 */
import { type KeelError, UpstreamError, isKeelError } from '../errors.js';
import {
  CHAT_PORT_VERSION,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
} from './provider.js';

/** A provider of the chain that failed before another answered. */
export interface ProviderFailure {
  provider: string;
  code: string;
}

/** A result of the chain: which providers failed first, when any did. */
export interface FallbackChatResult extends ChatResult {
  fallbacks?: ProviderFailure[];
}

export interface FallbackOptions {
  /** Told each time the chain moves on, e.g. to log it; never given the request's content. */
  onFallback?: (failure: ProviderFailure & { next: string; message: string }) => void;
}

/** The providers that failed before `result` was produced; empty when the first one answered. */
export function fallbacksOf(result: ChatResult): ProviderFailure[] {
  return (result as FallbackChatResult).fallbacks ?? [];
}

/** Worth trying the next provider: an upstream failure, not the caller cancelling or a bug. */
function canFallBack(error: unknown, request: ChatRequest): boolean {
  if (request.signal?.aborted) return false;
  return error instanceof UpstreamError || (isKeelError(error) && error.retryable);
}

export class FallbackChatProvider implements ChatProvider {
  readonly portVersion = CHAT_PORT_VERSION;
  readonly name: string;
  readonly model: string;

  constructor(
    private readonly chain: readonly ChatProvider[],
    private readonly options: FallbackOptions = {},
  ) {
    const first = chain[0];
    if (!first) throw new Error('A fallback chain needs at least one provider');
    this.name = first.name;
    this.model = first.model;
  }

  async chat(request: ChatRequest): Promise<FallbackChatResult> {
    const failures: ProviderFailure[] = [];
    // Ends by returning an answer or by `recordOrThrow` throwing after the last provider.
    for (let position = 0; ; position += 1) {
      const provider = this.chain[position] as ChatProvider;
      try {
        return withFallbacks(await provider.chat(request), failures);
      } catch (error) {
        this.recordOrThrow(error, request, provider, position, failures);
      }
    }
  }

  /** Falls back only until the first delta: after that the caller has already shown text. */
  async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const failures: ProviderFailure[] = [];
    for (const [position, provider] of this.chain.entries()) {
      let emitted = false;
      try {
        for await (const event of provider.stream(request)) {
          if (event.type === 'done') {
            yield { type: 'done', result: withFallbacks(event.result, failures) };
          } else {
            emitted = true;
            yield event;
          }
        }
        return;
      } catch (error) {
        if (emitted) throw error;
        this.recordOrThrow(error, request, provider, position, failures);
      }
    }
  }

  /** Notes a failure to fall back from, or rethrows it when it is final. */
  private recordOrThrow(
    error: unknown,
    request: ChatRequest,
    provider: ChatProvider,
    position: number,
    failures: ProviderFailure[],
  ): void {
    const next = this.chain[position + 1];
    if (!canFallBack(error, request)) throw error;
    const failure = { provider: provider.name, code: (error as KeelError).code };
    failures.push(failure);
    if (!next) throw exhausted(error, failures);
    this.options.onFallback?.({ ...failure, next: next.name, message: (error as Error).message });
  }
}

function withFallbacks(result: ChatResult, failures: ProviderFailure[]): FallbackChatResult {
  return failures.length > 0 ? { ...result, fallbacks: [...failures] } : result;
}

/** The last error, with every provider tried named in its details. */
function exhausted(error: unknown, failures: ProviderFailure[]): unknown {
  if (!(error instanceof UpstreamError)) return error;
  return new UpstreamError(
    error.code,
    error.message,
    { ...error.details, tried: failures.map((failure) => failure.provider) },
    error.retryable,
    error.status,
  );
}
