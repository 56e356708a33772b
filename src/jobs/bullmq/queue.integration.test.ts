import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeQueueContract } from '../../../test/contracts/queue-contract.js';
import { describeScheduleContract } from '../../../test/contracts/schedule-contract.js';
import {
  closeRedisConnection,
  createRedisConnection,
  waitUntilReady,
} from '../../redis/connection.js';
import { QUEUE_NAMES, type QueueName } from '../contracts.js';
import { BullmqJobQueue } from './queue.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Every key this file writes starts with it, so parallel test files never meet and cleanup
// deletes only what this file wrote.
const filePrefix = `keel-test-jobs-${randomUUID()}`;
let redis: Redis;
let backends = 0;

async function deleteKeys(prefix: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1_000 })) {
    if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
}

beforeAll(async () => {
  redis = createRedisConnection(redisUrl);
  await waitUntilReady(redis).catch(() => {
    throw new Error(`Redis is not reachable at ${redisUrl}; start it with \`npm run services\``);
  });
});

afterAll(async () => {
  await deleteKeys(filePrefix);
  await closeRedisConnection(redis);
});

/** A fresh key prefix per test; each `open` has its own connections, as another process has. */
function bullmqBackend() {
  const prefix = `${filePrefix}-${backends++}`;
  const handles: BullmqJobQueue[] = [];
  return {
    prefix,
    async open(options: { accepts?: readonly QueueName[] } = {}) {
      const handle = BullmqJobQueue.open({
        url: redisUrl,
        accepts: options.accepts ?? QUEUE_NAMES,
        prefix,
      });
      handles.push(handle);
      await waitUntilReady(handle.connection);
      return handle;
    },
    async destroy() {
      await Promise.all(handles.map((handle) => handle.close()));
      await deleteKeys(prefix);
    },
  };
}

describeQueueContract('bullmq', async () => bullmqBackend());
describeScheduleContract('bullmq', async () => bullmqBackend());

describe('bullmq job queue', () => {
  it('answers 503 while Redis is unreachable, without crashing', async () => {
    // Nothing listens on port 1: the connections keep retrying in the background.
    const down = BullmqJobQueue.open({ url: 'redis://127.0.0.1:1', accepts: QUEUE_NAMES });
    try {
      const worker = down.work(['ingest'], { ingest: async () => 'never' });
      await expect(
        down.enqueue('ingest', { sourceId: 'src_1', workspaceId: 'ws_1' }),
      ).rejects.toMatchObject({ code: 'dependency_unavailable', status: 503 });
      await expect(down.get('any')).rejects.toMatchObject({ status: 503 });
      await expect(down.ping()).rejects.toMatchObject({ status: 503 });
      await worker.close({ graceful: false });
    } finally {
      await down.close();
    }
  });

  it('keeps jobs in Redis under its prefix, where another handle finds them', async () => {
    const backend = bullmqBackend();
    try {
      const producer = await backend.open();
      const job = await producer.enqueue('ingest', { sourceId: 'src_1', workspaceId: 'ws_1' });
      expect(await redis.exists(`${backend.prefix}:ingest:${job.id}`)).toBe(1);
      const consumer = await backend.open();
      expect(await consumer.get(job.id)).toMatchObject({ state: 'queued', queue: 'ingest' });
    } finally {
      await backend.destroy();
    }
  });
});
