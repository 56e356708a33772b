import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { KeelError } from '../errors.js';

/**
 * Redis is down, unreachable or too slow: a 503 the client may retry. Raised instead of letting
 * a request wait for a reconnect, so an outage shows up as clear errors, never as hung requests.
 */
export class RedisUnavailableError extends KeelError {
  constructor(operation: string, cause: unknown) {
    super(
      'dependency_unavailable',
      'A required service (Redis) is unavailable; try again shortly.',
      503,
      {
        dependency: 'redis',
        operation,
        reason: cause instanceof Error ? cause.message : 'unknown',
      },
      true,
    );
  }
}

export interface RedisConnectionOptions {
  /**
   * `requests` (default): commands fail at once while disconnected and time out after
   * `commandTimeoutMs`. `subscriber`: for SUBSCRIBE only; no command timeout, since a subscribed
   * connection legitimately waits forever for messages.
   */
  purpose?: 'requests' | 'subscriber';
  /** Shown by `CLIENT LIST`, so operators (and tests) can tell Keel's connections apart. */
  name?: string;
  /** Default 2 000 ms: long enough for a busy Redis, short enough that a request fails fast. */
  commandTimeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * Opens an ioredis connection for Keel. It never crashes the process: errors are logged once per
 * outage and the connection reconnects with capped exponential backoff, forever, so a restarted
 * Redis is picked up without restarting Keel. Meanwhile commands fail at once instead of queueing
 * (`enableOfflineQueue: false`); wrap them in `callRedis` to turn that into a 503.
 *
 * @example
 *   const redis = createRedisConnection(config.redis.url, { name: 'keel-api', logger });
 *   await waitUntilReady(redis);
 */
export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): Redis {
  const purpose = options.purpose ?? 'requests';
  const redisOptions: RedisOptions = {
    connectionName: options.name,
    connectTimeout: 5_000,
    // A command caught by a dropped connection fails after one failed reconnect attempt (or the
    // command timeout), rather than waiting for Redis however long it stays down.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: purpose === 'requests' ? (options.commandTimeoutMs ?? 2_000) : undefined,
    // The pub/sub adapter resubscribes from its own list of channels (see pubsub-redis.ts).
    autoResubscribe: false,
    retryStrategy: (attempt) =>
      Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100),
    // After a failover the old primary answers READONLY; reconnecting reaches the new primary.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  };
  const connection = new Redis(url, redisOptions);
  reportOutages(connection, options);
  return connection;
}

function reportOutages(connection: Redis, options: RedisConnectionOptions): void {
  let down = false;
  // An 'error' event without a listener would throw and crash the process.
  connection.on('error', (error: Error) => {
    if (down) return;
    down = true;
    options.logger?.warn(
      { err: error.message, connection: options.name },
      'Redis connection failed; reconnecting',
    );
  });
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger?.info({ connection: options.name }, 'Redis connection restored');
  });
}

/**
 * Waits until the connection can take commands; throws `RedisUnavailableError` after `timeoutMs`.
 * Useful at start-up, since a connection that is still connecting refuses commands.
 *
 * @example
 *   await waitUntilReady(redis, 5_000);
 */
export async function waitUntilReady(connection: Redis, timeoutMs = 5_000): Promise<void> {
  if (connection.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      reject(new RedisUnavailableError('connect', new Error(`not ready after ${timeoutMs} ms`)));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    connection.once('ready', onReady);
  });
}

/** Reply errors that mean "Redis cannot serve right now" rather than "this command is wrong". */
const TRANSIENT_REPLIES = ['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN'];

/**
 * Runs one Redis call, turning connection failures (offline, closed, timed out) into
 * `RedisUnavailableError`. Errors Redis replies with for a wrong command stay as they are: they
 * are bugs, and a 503 would hide them.
 *
 * @example
 *   const text = await callRedis('cache get', () => redis.get(key));
 */
export async function callRedis<T>(operation: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    const reply = error instanceof Error && error.name === 'ReplyError';
    if (reply && !TRANSIENT_REPLIES.some((prefix) => error.message.startsWith(prefix))) {
      throw error;
    }
    throw new RedisUnavailableError(operation, error);
  }
}

/**
 * The readiness probe: true when Redis answers PING within `timeoutMs`. It uses the connection
 * requests use, so it reports what a request would see.
 *
 * @example
 *   await probe('redis', async () => {
 *     if (!(await redisAvailable(redis))) throw new Error('no answer to PING');
 *   });
 */
export async function redisAvailable(connection: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = connection.ping().then(
    (reply) => reply === 'PONG',
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes gracefully when connected (pending replies arrive first), at once otherwise. */
export async function closeRedisConnection(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
