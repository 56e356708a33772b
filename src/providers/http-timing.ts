/** When to give up waiting and when to try again. */

const DEFAULT_BACKOFF_BASE_MS = 250;
const MAX_BACKOFF_MS = 8_000;

/** Delay before retry number `attempt` (0-based): Retry-After when given, else jittered backoff. */
export function retryDelayMs(
  attempt: number,
  retryAfterHeader: string | null,
  baseMs = DEFAULT_BACKOFF_BASE_MS,
): number {
  const retryAfterMs = parseRetryAfter(retryAfterHeader);
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  // Jitter spreads out clients that failed together so they do not retry in lockstep.
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A resettable timer: a stream may run long, but must not fall silent for `timeoutMs`. */
export class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  readonly signal: AbortSignal;

  constructor(
    private readonly timeoutMs: number,
    callerSignal: AbortSignal | undefined,
  ) {
    this.signal = callerSignal
      ? AbortSignal.any([this.controller.signal, callerSignal])
      : this.controller.signal;
    this.extend();
  }

  extend(): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.controller.abort(new DOMException('the stream fell silent', 'TimeoutError'));
    }, this.timeoutMs);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
