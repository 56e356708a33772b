import { describeReplayBufferContract } from '../../test/contracts/replay-buffer-contract.js';
import { createMemoryReplayBuffer } from './replay-memory.js';

describeReplayBufferContract('memory', (options) => createMemoryReplayBuffer(options));
