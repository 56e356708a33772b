import { useCallback, useState } from 'react';
import { uploadFile } from '../api/client';
import { messageOf } from '../api/errors';

export interface UploadItem {
  id: number;
  name: string;
  /** Share of the file's bytes sent, 0..1. */
  progress: number;
  state: 'waiting' | 'sending' | 'indexing' | 'done' | 'failed';
  /** Why the file was refused, in the server's words (never its internal code). */
  error?: string;
}

let counter = 0;

/**
 * Files uploaded one request each, one after another, so each has its own progress and its own
 * error: a corrupt PDF fails alone while the others are indexed.
 */
export function useUploads(onUploaded: () => void) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const update = (id: number, change: Partial<UploadItem>) =>
    setItems((current) => current.map((item) => (item.id === id ? { ...item, ...change } : item)));

  const add = useCallback(
    async (files: File[]) => {
      const queued = files.map((file) => ({ file, id: (counter += 1) }));
      setItems((current) => [
        ...queued.map(({ file, id }) => ({
          id,
          name: file.name,
          progress: 0,
          state: 'waiting' as const,
        })),
        ...current,
      ]);
      for (const { file, id } of queued) {
        update(id, { state: 'sending' });
        try {
          const result = await uploadFile(file, (fraction) =>
            update(id, { progress: fraction, state: fraction >= 1 ? 'indexing' : 'sending' }),
          );
          const refused = result.errors[0];
          if (refused) update(id, { state: 'failed', error: refused.message });
          else update(id, { state: 'done', progress: 1 });
          onUploaded();
        } catch (error) {
          update(id, { state: 'failed', error: messageOf(error) });
        }
      }
    },
    [onUploaded],
  );
  return { items, add };
}
