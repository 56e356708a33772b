import { api } from '../api/client';
import type { Source } from '../api/types';
import { atLeast, useSession } from '../auth/session';
import { Async, Empty } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { AddSourceForm } from './add-source-form';
import { SearchPlayground } from './search-playground';
import { SourcesTable } from './sources-table';
import { UploadDrop } from './upload-drop';
import { useSync } from './use-sync';

export function KnowledgePage() {
  const { me } = useSession();
  const sources = useResource((signal) => api<{ sources: Source[] }>('/v1/kb/sources', { signal }), []);
  const { syncs, sync } = useSync(sources.reload);
  const canManage = atLeast(me, 'manager');
  return (
    <div className="page">
      <h2>Knowledge</h2>
      <Async resource={sources} label="Loading sources…">
        {(data) =>
          data.sources.length === 0 ? (
            <Empty>No sources yet{canManage ? ': add a folder or a git repository below.' : '.'}</Empty>
          ) : (
            <SourcesTable sources={data.sources} syncs={syncs} canSync={canManage} onSync={(source) => void sync(source)} />
          )
        }
      </Async>
      {canManage && <UploadDrop onUploaded={sources.reload} />}
      {canManage && <AddSourceForm onAdded={sources.reload} />}
      <SearchPlayground />
    </div>
  );
}
