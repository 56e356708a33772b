import type { QueueName } from '../contracts.js';
import type { QueueDepth } from '../queue.js';

/** Every accepted queue in every depth state, at 0 until counted. */
export function emptyDepth(queues: readonly QueueName[]): QueueDepth[] {
  return queues.flatMap((queue) =>
    (['waiting', 'running', 'dead'] as const).map((state) => ({ queue, state, count: 0 })),
  );
}
