import { useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import { ConfirmButton } from '../ui/confirm-button';
import { DataTable } from '../ui/data-table';
import { formatDate } from '../ui/format';
import { Async, Empty, FormError } from '../ui/states';
import { useResource } from '../ui/use-resource';

interface Memory {
  id: string;
  kind: 'preference' | 'fact' | 'instruction';
  text: string;
  agent: string;
  createdAt: string;
}

/**
 * What the agents remember about the signed-in user (GET /v1/memories): each memory can be
 * forgotten, or all at once, and the user's own switch turns memory off (nothing used or learned).
 */
export function MemoryPage() {
  const memories = useResource(
    (signal) => api<{ memories: Memory[] }>('/v1/memories', { signal }),
    [],
  );
  const settings = useResource(
    (signal) => api<{ enabled: boolean }>('/v1/memories/settings', { signal }),
    [],
  );
  const [error, setError] = useState<string>();

  async function change(action: () => Promise<unknown>, reload: () => void) {
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(messageOf(failure));
    }
    reload();
  }
  const forget = (memory: Memory) =>
    change(
      () => api(`/v1/memories/${encodeURIComponent(memory.id)}`, { method: 'DELETE' }),
      memories.reload,
    );
  const forgetAll = () => change(() => api('/v1/memories', { method: 'DELETE' }), memories.reload);
  // The switch moves at once; a refused change puts it back where the server has it.
  const [switched, setSwitched] = useState<boolean>();
  const setEnabled = (enabled: boolean) => {
    setSwitched(enabled);
    return change(
      () =>
        api('/v1/memories/settings', { method: 'PUT', body: { enabled } }).catch(
          (failure: unknown) => {
            setSwitched(undefined);
            throw failure;
          },
        ),
      settings.reload,
    );
  };

  return (
    <section aria-labelledby="memory-title" className="page">
      <h2 id="memory-title">Memory</h2>
      <p className="hint">
        What you tell an agent about yourself (your work, your preferences, standing instructions)
        is remembered for your later chats in this workspace. Only you see these memories.
      </p>
      <Async resource={settings} label="Loading your setting…">
        {({ enabled }) => (
          <label className="check card">
            <input
              type="checkbox"
              checked={switched ?? enabled}
              onChange={(event) => void setEnabled(event.target.checked)}
            />{' '}
            Remember what I tell the agents and use it in my answers
          </label>
        )}
      </Async>
      <FormError message={error} />
      <Async resource={memories} label="Loading memories…">
        {({ memories: list }) =>
          list.length === 0 ? (
            <Empty>Nothing remembered yet.</Empty>
          ) : (
            <>
              <DataTable
                rows={list}
                rowKey={(memory) => memory.id}
                columns={[
                  { header: 'Memory', cell: (memory) => memory.text },
                  { header: 'Kind', cell: (memory) => memory.kind },
                  { header: 'Agent', cell: (memory) => memory.agent },
                  { header: 'Learned', cell: (memory) => formatDate(memory.createdAt) },
                  {
                    header: 'Actions',
                    hiddenHeader: true,
                    className: 'actions',
                    cell: (memory) => (
                      <ConfirmButton
                        question={`Forget "${memory.text}"?`}
                        onConfirm={() => forget(memory)}
                        label={`Forget ${memory.text}`}
                      >
                        Forget
                      </ConfirmButton>
                    ),
                  },
                ]}
              />
              <ConfirmButton
                question="Forget everything the agents remember about you?"
                onConfirm={forgetAll}
                label="Forget all memories"
              >
                Forget all
              </ConfirmButton>
            </>
          )
        }
      </Async>
    </section>
  );
}
