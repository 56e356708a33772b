import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import { messageOf } from '../api/errors';
import type { Source } from '../api/types';

/** Add a folder on the server (admins) or a git repository as a knowledge source. */
export function AddSourceForm({ onAdded }: { onAdded(source: Source): void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'folder' | 'git'>('folder');
  const [location, setLocation] = useState('');
  const [branch, setBranch] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body: Record<string, string> = { name: name.trim(), kind, location: location.trim() };
      if (kind === 'git' && branch.trim()) body.branch = branch.trim();
      const source = await api<Source>('/v1/kb/sources', { method: 'POST', body });
      setName('');
      setLocation('');
      setBranch('');
      onAdded(source);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-grid" onSubmit={(event) => void submit(event)} aria-labelledby="add-source-title">
      <h3 id="add-source-title">Add a source</h3>
      <label>
        Name
        <input name="sourceName" required value={name} onChange={(event) => setName(event.target.value)} />
      </label>
      <label>
        Kind
        <select name="kind" value={kind} onChange={(event) => setKind(event.target.value as 'folder' | 'git')}>
          <option value="folder">Folder on the server</option>
          <option value="git">Git repository</option>
        </select>
      </label>
      <label className="wide">
        {kind === 'folder' ? 'Folder path' : 'Repository URL'}
        <input
          name="location"
          required
          placeholder={kind === 'folder' ? '/srv/docs' : 'https://github.com/org/repo.git'}
          value={location}
          onChange={(event) => setLocation(event.target.value)}
        />
      </label>
      {kind === 'git' && (
        <label>
          Branch (optional)
          <input name="branch" value={branch} onChange={(event) => setBranch(event.target.value)} />
        </label>
      )}
      {error && (
        <p className="form-error wide" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Adding…' : 'Add source'}
      </button>
    </form>
  );
}
