import { type IdempotencyStore, PENDING } from './idempotent-calls.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * Idempotency keys in this process's memory, for an orchestrator without Redis: right while one
 * orchestrator serves the API. At most `maxEntries` keys are kept; the oldest go first.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {}

  async claim(key: string, leaseMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.put(key, PENDING, leaseMs);
    return true;
  }

  async extend(key: string, leaseMs: number): Promise<void> {
    const entry = this.live(key);
    if (entry) entry.expiresAt = Date.now() + leaseMs;
  }

  async read(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async finish(key: string, outcome: string, ttlMs: number): Promise<void> {
    this.put(key, outcome, ttlMs);
  }

  async release(key: string): Promise<void> {
    this.entries.delete(key);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.entries.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }

  private put(key: string, value: string, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}
