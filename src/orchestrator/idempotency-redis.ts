import type { Redis } from 'ioredis';
import { callRedis } from '../redis/connection.js';
import { type IdempotencyStore, PENDING } from './idempotent-calls.js';

/**
 * Idempotency keys in Redis, shared by every orchestrator replica: a retry that lands on another
 * replica still finds the first call. Expiry is Redis's own (PX), so nothing sweeps.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly connection: Redis,
    private readonly prefix = 'keel:idempotent-call:',
  ) {}

  async claim(key: string, leaseMs: number): Promise<boolean> {
    const reply = await callRedis('idempotency claim', () =>
      this.connection.set(this.prefix + key, PENDING, 'PX', leaseMs, 'NX'),
    );
    return reply === 'OK';
  }

  async extend(key: string, leaseMs: number): Promise<void> {
    await callRedis('idempotency extend', () =>
      this.connection.pexpire(this.prefix + key, leaseMs),
    );
  }

  async read(key: string): Promise<string | undefined> {
    const value = await callRedis('idempotency read', () => this.connection.get(this.prefix + key));
    return value ?? undefined;
  }

  async finish(key: string, outcome: string, ttlMs: number): Promise<void> {
    await callRedis('idempotency finish', () =>
      this.connection.set(this.prefix + key, outcome, 'PX', ttlMs),
    );
  }

  async release(key: string): Promise<void> {
    await callRedis('idempotency release', () => this.connection.del(this.prefix + key));
  }
}
