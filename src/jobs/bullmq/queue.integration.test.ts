import { describe, expect, it } from 'vitest';
import { describeQueueContract } from '../../../test/contracts/queue-contract.js';
import { describeScheduleContract } from '../../../test/contracts/schedule-contract.js';
import {
  TEST_REDIS_URL,
  UNREACHABLE_REDIS_URL,
  useRedisTestKeys,
} from '../../../test/helpers/redis-test-keys.js';
import { waitUntilReady } from '../../redis/connection.js';
import { QUEUE_NAMES, type QueueName } from '../contracts.js';
import { BullmqJobQueue } from './queue.js';

const keys = useRedisTestKeys('jobs');
let backends = 0;

/** A fresh key prefix per test; each `open` has its own connections, as another process has. */
function bullmqBackend() {
  const prefix = `${keys.prefix}${backends++}`;
  const handles: BullmqJobQueue[] = [];
  return {
    prefix,
    async open(options: { accepts?: readonly QueueName[] } = {}) {
      const handle = BullmqJobQueue.open({
        url: TEST_REDIS_URL,
        accepts: options.accepts ?? QUEUE_NAMES,
        prefix,
      });
      handles.push(handle);
      await waitUntilReady(handle.connection);
      return handle;
    },
    async destroy() {
      await Promise.all(handles.map((handle) => handle.close()));
      await keys.deleteKeys(prefix);
    },
  };
}

describeQueueContract('bullmq', async () => bullmqBackend());
describeScheduleContract('bullmq', async () => bullmqBackend());

describe('bullmq job queue', () => {
  it('answers 503 while Redis is unreachable, without crashing', async () => {
    // The connections keep retrying in the background.
    const down = BullmqJobQueue.open({ url: UNREACHABLE_REDIS_URL, accepts: QUEUE_NAMES });
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
      expect(await keys.redis.exists(`${backend.prefix}:ingest:${job.id}`)).toBe(1);
      const consumer = await backend.open();
      expect(await consumer.get(job.id)).toMatchObject({ state: 'queued', queue: 'ingest' });
    } finally {
      await backend.destroy();
    }
  });
});
