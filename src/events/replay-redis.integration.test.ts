import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { describeReplayBufferContract } from '../../test/contracts/replay-buffer-contract.js';
import {
  closeRedisConnection,
  createRedisConnection,
  waitUntilReady,
} from '../redis/connection.js';
import { createRedisReplayBuffer } from './replay-redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let connection: Redis;
beforeAll(async () => {
  connection = createRedisConnection(redisUrl, { name: 'keel-test-replay' });
  await waitUntilReady(connection);
});
afterAll(() => closeRedisConnection(connection));

describeReplayBufferContract('redis', (options) =>
  createRedisReplayBuffer({
    connection,
    prefix: `keel-test:realtime:${randomUUID()}:`,
    ...options,
  }),
);
