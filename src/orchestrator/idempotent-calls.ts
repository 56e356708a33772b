import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/**
 * Where the orchestrator remembers calls by idempotency key: a key is either held by a running
 * call (`pending`, under a lease its owner keeps extending) or holds that call's finished outcome.
 * Adapters: `idempotency-memory.ts` (one process) and `idempotency-redis.ts` (every replica).
 */
export interface IdempotencyStore {
  /** Takes `key` for a new call unless it is held (pending or finished); true when taken. */
  claim(key: string, leaseMs: number): Promise<boolean>;
  /** Keeps a claimed key held for another `leaseMs`. */
  extend(key: string, leaseMs: number): Promise<void>;
  /** The outcome text of a finished call, `pending` while one runs, undefined when free. */
  read(key: string): Promise<string | undefined>;
  /** Stores the finished call's outcome for `ttlMs`, replacing the pending mark. */
  finish(key: string, outcome: string, ttlMs: number): Promise<void>;
  /** Frees the key (the call was abandoned), so the next try runs it again. */
  release(key: string): Promise<void>;
}

export const PENDING = 'pending';

/** What a call answered: the HTTP status and JSON body it would have been sent as. */
export interface CallOutcome {
  status: number;
  body: unknown;
}

const outcomeSchema = z.object({ status: z.number().int(), body: z.unknown() });

export interface IdempotentCallsOptions {
  /** How long a finished call's outcome is kept for retries; default 10 minutes. */
  windowMs?: number;
  /** A running call's hold on its key, extended while it runs: its owner may die. Default 15 s. */
  leaseMs?: number;
  /** How often a retry waiting for the running call looks again; default 100 ms. */
  pollMs?: number;
}

/**
 * Runs each call at most once per idempotency key within a window: a retry of a call that was
 * delivered (its answer lost on the way back) gets the first call's outcome, or waits for it
 * while it runs, and never reaches the model a second time. A call that is abandoned (its caller
 * left a stream) frees its key, so a later try runs it afresh.
 *
 * @example
 *   const calls = new IdempotentCalls(new MemoryIdempotencyStore());
 *   const { outcome, replayed } = await calls.run(body.idempotencyKey, () => answerAsOutcome());
 */
export class IdempotentCalls {
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly store: IdempotencyStore,
    options: IdempotentCallsOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 600_000;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 100;
  }

  /**
   * `call`'s outcome, run here, or the outcome of the call that already ran (or runs) under `key`
   * (`replayed: true`). Without a key (an older API process) the call simply runs. A call that
   * throws is abandoned: its key is freed and the error rethrown.
   */
  async run(
    key: string | undefined,
    call: () => Promise<CallOutcome>,
    signal?: AbortSignal,
  ): Promise<{ outcome: CallOutcome; replayed: boolean }> {
    if (key === undefined) return { outcome: await call(), replayed: false };
    for (;;) {
      // With the store down (Redis outage) the call runs unguarded: an outage costs a possible
      // repeat, not the answer.
      const claimed = await this.store.claim(key, this.leaseMs).catch(() => undefined);
      if (claimed === undefined) return { outcome: await call(), replayed: false };
      if (claimed) {
        return { outcome: await this.runClaimed(key, call), replayed: false };
      }
      const outcome = await this.waitFor(key, signal);
      if (outcome) return { outcome, replayed: true };
      // The key was freed (its call abandoned, or its owner died): try to take it.
    }
  }

  private async runClaimed(key: string, call: () => Promise<CallOutcome>): Promise<CallOutcome> {
    const lease = setInterval(
      () => void this.store.extend(key, this.leaseMs).catch(() => undefined),
      this.leaseMs / 3,
    );
    lease.unref();
    let outcome: CallOutcome;
    try {
      outcome = await call();
    } catch (error) {
      clearInterval(lease);
      await this.store.release(key).catch(() => undefined);
      throw error;
    }
    clearInterval(lease);
    await this.store.finish(key, JSON.stringify(outcome), this.windowMs).catch(() => undefined);
    return outcome;
  }

  /** The finished outcome under `key`, or undefined once the key is free. */
  private async waitFor(key: string, signal?: AbortSignal): Promise<CallOutcome | undefined> {
    for (;;) {
      signal?.throwIfAborted();
      const text = await this.store.read(key);
      if (text === undefined) return undefined;
      if (text !== PENDING) {
        const parsed = outcomeSchema.safeParse(parseJson(text));
        if (parsed.success) return { status: parsed.data.status, body: parsed.data.body };
        // A value this release cannot read is treated as gone: the call runs again.
        await this.store.release(key);
        return undefined;
      }
      await sleep(this.pollMs, undefined, signal ? { signal } : {});
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
