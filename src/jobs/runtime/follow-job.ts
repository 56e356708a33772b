import type { JobEvent, JobQueue, JobRecord } from '../queue.js';
import { jobNotFound } from './errors.js';

/** The event a finished job would have ended with, for a listener that arrives late. */
export function finishedEvent(record: JobRecord): JobEvent | undefined {
  if (record.state === 'completed')
    return { type: 'job-completed', jobId: record.id, result: record.result };
  if (record.state === 'dead')
    return { type: 'job-dead', jobId: record.id, error: record.error ?? 'unknown' };
  if (record.state === 'cancelled') return { type: 'job-cancelled', jobId: record.id };
  return undefined;
}

const isLastEvent = (event: JobEvent) =>
  event.type === 'job-completed' || event.type === 'job-dead' || event.type === 'job-cancelled';

/**
 * `events()` for any adapter: subscribes first, then reads the job, so nothing falls between the
 * two; re-reads it every `recheckMs` while quiet, so a finish announced where this process cannot
 * hear it (another process on the same SQLite file, a Redis stream gap) still ends the stream.
 */
export async function* followJob(
  queue: Pick<JobQueue, 'get' | 'subscribe'>,
  id: string,
  options: { signal?: AbortSignal; recheckMs?: number } = {},
): AsyncGenerator<JobEvent> {
  const pending: JobEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = queue.subscribe(id, (event) => {
    pending.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener('abort', onAbort);
  try {
    const record = await queue.get(id);
    if (!record) throw jobNotFound(id);
    const finished = finishedEvent(record);
    if (finished) {
      yield finished;
      return;
    }
    while (!options.signal?.aborted) {
      if (pending.length === 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, options.recheckMs ?? 1_000);
        });
        clearTimeout(timer);
        wake = undefined;
      }
      if (options.signal?.aborted) return;
      if (pending.length === 0) {
        const now = await queue.get(id);
        // Gone means removed after its retention period: nothing more will come.
        if (!now) return;
        const last = finishedEvent(now);
        if (last) {
          yield last;
          return;
        }
      }
      for (let event = pending.shift(); event; event = pending.shift()) {
        yield event;
        if (isLastEvent(event)) return;
      }
    }
  } finally {
    unsubscribe();
    options.signal?.removeEventListener('abort', onAbort);
  }
}
