import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { Source } from '../api/types';
import { type JobProgress, watchJob } from '../jobs/watch-job';

export interface SyncState {
  progress: number | undefined;
  message: string | null;
  error?: string;
}

type SyncAnswer = { job?: { id: string; state: string } } & Partial<Pick<Source, 'lastSyncStatus'>>;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * "Sync now" per source. The server answers 202 with the ingest job; its event stream gives live
 * progress. A server without jobs answers `{status:"running"}`: then the sources are polled until
 * the sync is recorded.
 */
export function useSync(onFinished: () => void) {
  const [syncs, setSyncs] = useState<Record<string, SyncState>>({});
  const controllers = useRef(new Set<AbortController>());
  useEffect(() => {
    const active = controllers.current;
    return () => active.forEach((controller) => controller.abort());
  }, []);

  const set = (id: string, state: SyncState | undefined) =>
    setSyncs((current) => {
      const next = { ...current };
      if (state) next[id] = state;
      else delete next[id];
      return next;
    });

  const sync = useCallback(
    async (source: Source) => {
      const controller = new AbortController();
      controllers.current.add(controller);
      set(source.id, { progress: undefined, message: 'Starting…' });
      try {
        const answer = await api<SyncAnswer>(`/v1/kb/sources/${encodeURIComponent(source.id)}/sync`, {
          method: 'POST',
          signal: controller.signal,
        });
        if (answer.job) {
          const final: JobProgress = await watchJob(
            answer.job.id,
            (update) =>
              set(source.id, {
                progress: update.progress,
                // A failed attempt waits for its retry: say why instead of a stale "Syncing…".
                message:
                  update.state === 'failed' && update.error
                    ? `Attempt failed, retrying: ${update.error}`
                    : (update.message ?? update.state),
              }),
            controller.signal,
          );
          if (final.state !== 'completed') throw new Error(final.error ?? `The sync job ended ${final.state}`);
        } else {
          await pollUntilRecorded(source, controller.signal);
        }
        set(source.id, undefined);
      } catch (error) {
        if (controller.signal.aborted) return;
        set(source.id, { progress: undefined, message: null, error: messageOf(error) });
      } finally {
        controllers.current.delete(controller);
        onFinished();
      }
    },
    [onFinished],
  );

  return { syncs, sync };
}

async function pollUntilRecorded(source: Source, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; attempt < 600 && !signal.aborted; attempt++) {
    await delay(1000);
    const { sources } = await api<{ sources: Source[] }>('/v1/kb/sources', { signal });
    const now = sources.find((candidate) => candidate.id === source.id);
    if (now && now.lastSyncStatus !== 'running' && now.lastSyncAt !== source.lastSyncAt) return;
  }
}
