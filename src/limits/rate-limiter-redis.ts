import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { callRedis } from '../redis/connection.js';
import type { RateDecision, RateLimiter, RateRule } from './rate-limiter.js';
import { assertValidConsume, assertValidTtl } from './rate-limiter.js';

interface LuaScript {
  source: string;
  sha: string;
}

function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * GCRA over one hash per key — `limit`, `debt` (ms × limit, as in the memory adapter) and `at`
 * (ms of the last consume) — so the arithmetic, and every decision, matches
 * `rate-limiter-memory.ts` exactly.
 *
 * The clock is Redis's own `TIME`, read inside the script, not the caller's `Date.now()`: every
 * replica then measures elapsed time on one clock, so a replica whose clock runs behind cannot
 * hand out capacity early, nor one ahead refuse too long. Redis 7 replicates scripts by their
 * effects, so reading TIME before writing is allowed and replicas store the same numbers.
 *
 * A key holding a counter (from `increment`) is treated as an empty bucket and replaced, as the
 * memory adapter does. A read (cost 0) writes nothing.
 */
const CONSUME_SCRIPT = luaScript(`
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local capacity = limit * window
local debt = 0
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'hash' then
  local state = redis.call('HMGET', KEYS[1], 'limit', 'debt', 'at')
  local storedLimit = tonumber(state[1])
  local elapsed = math.max(0, now - tonumber(state[3]))
  debt = math.max(0, tonumber(state[2]) - elapsed * storedLimit)
  if storedLimit ~= limit then
    debt = math.ceil(debt / storedLimit * limit)
  end
end
local after = debt + cost * window
if after > capacity then
  local remaining = math.max(0, math.floor((capacity - debt) / window))
  return {0, remaining, math.ceil(debt / limit), math.ceil((after - capacity) / limit)}
end
local reset = math.ceil(after / limit)
if cost > 0 then
  if kind ~= 'hash' and kind ~= 'none' then
    redis.call('DEL', KEYS[1])
  end
  redis.call('HSET', KEYS[1], 'limit', limit, 'debt', after, 'at', now)
  redis.call('PEXPIRE', KEYS[1], reset)
end
return {1, math.floor((capacity - after) / window), reset, 0}
`);

/** INCR and PEXPIRE in one step, so a counter can never be left without its expiry. */
const INCREMENT_SCRIPT = luaScript(`
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'string' and kind ~= 'none' then
  redis.call('DEL', KEYS[1])
end
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count
`);

const decisionReply = z.tuple([
  z.union([z.literal(0), z.literal(1)]),
  z.number().int(),
  z.number().int(),
  z.number().int(),
]);

export interface RedisRateLimiterOptions {
  /** A connection from `createRedisConnection`; the limiter does not close it. */
  connection: Redis;
  /** Prepended to every key, so deployments and tests sharing a Redis stay apart. */
  prefix?: string;
}

/**
 * The rate limiter for multi-replica deployments: each call is one Lua script on one key, so
 * concurrent consumes from any number of API replicas never overspend. While Redis is down every
 * call fails with `RedisUnavailableError` (503) rather than waiting.
 *
 * @example
 *   const limiter = createRedisRateLimiter({ connection: redis, prefix: 'keel:rate:' });
 *   const decision = await limiter.consume(`ip:${request.ip}`, { limit: 20, windowMs: 60_000 });
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  return new RedisRateLimiter(options.connection, options.prefix ?? 'keel:rate:');
}

class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    assertValidConsume(rule, cost);
    const reply = await this.run('rate limit consume', CONSUME_SCRIPT, key, [
      rule.limit,
      rule.windowMs,
      cost,
    ]);
    const [allowed, remaining, resetMs, retryAfterMs] = decisionReply.parse(reply);
    return { allowed: allowed === 1, limit: rule.limit, remaining, resetMs, retryAfterMs };
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertValidTtl(ttlMs);
    const reply = await this.run('rate limit increment', INCREMENT_SCRIPT, key, [ttlMs]);
    return z.number().int().parse(reply);
  }

  async reset(key: string): Promise<void> {
    await callRedis('rate limit reset', () => this.connection.del(this.prefix + key));
  }

  /** EVALSHA first, so the script body is sent once per Redis restart rather than per call. */
  private run(operation: string, script: LuaScript, key: string, args: number[]): Promise<unknown> {
    const fullKey = this.prefix + key;
    return callRedis(operation, async () => {
      try {
        return await this.connection.evalsha(script.sha, 1, fullKey, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await this.connection.eval(script.source, 1, fullKey, ...args);
      }
    });
  }
}
