import { describeReplayBufferContract } from '../../test/contracts/replay-buffer-contract.js';
import { useRedisTestKeys } from '../../test/helpers/redis-test-keys.js';
import { createRedisReplayBuffer } from './replay-redis.js';

const keys = useRedisTestKeys('realtime');
let buffers = 0;

describeReplayBufferContract('redis', (options) =>
  createRedisReplayBuffer({
    connection: keys.redis,
    prefix: `${keys.prefix}${buffers++}:`,
    ...options,
  }),
);
