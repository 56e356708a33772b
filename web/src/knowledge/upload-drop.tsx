import { useRef, useState } from 'react';
import { ProgressBar } from '../ui/progress';
import { type UploadItem, useUploads } from './use-uploads';

const ACCEPT = '.md,.markdown,.txt,.json,.jsonl,.html,.htm,.pdf,.docx';

const STATE_TEXT: Record<UploadItem['state'], string> = {
  waiting: 'Waiting',
  sending: 'Sending',
  indexing: 'Indexing',
  done: 'Indexed',
  failed: 'Not added',
};

/** One line per file: its progress while it goes up, then indexed or why it was refused. */
export function UploadList({ items }: { items: UploadItem[] }) {
  if (items.length === 0) return null;
  return (
    <ul className="upload-list" aria-label="Uploads">
      {items.map((item) => (
        <li key={item.id} className={`upload-item ${item.state}`} aria-label={`Upload ${item.name}`}>
          <span className="upload-name">{item.name}</span>
          <span className="upload-state">{STATE_TEXT[item.state]}</span>
          {(item.state === 'sending' || item.state === 'indexing') && (
            <ProgressBar
              value={item.state === 'indexing' ? undefined : item.progress}
              label={`Uploading ${item.name}`}
            />
          )}
          {item.error && (
            <span className="upload-error" role="alert">
              {item.error}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * Drag-and-drop (or pick) files into the workspace's knowledge: Markdown, text, JSON, HTML, PDF
 * and DOCX become searchable as soon as each is indexed.
 */
export function UploadDrop({ onUploaded }: { onUploaded: () => void }) {
  const { items, add } = useUploads(onUploaded);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <section className="upload" aria-label="Upload documents">
      <h3>Upload documents</h3>
      <div
        className={`dropzone${over ? ' over' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          void add([...event.dataTransfer.files]);
        }}
      >
        <p>Drop files here, or</p>
        <button type="button" onClick={() => input.current?.click()}>
          Choose files
        </button>
        <input
          ref={input}
          className="visually-hidden"
          type="file"
          multiple
          accept={ACCEPT}
          aria-label="Files to upload"
          onChange={(event) => {
            void add([...(event.target.files ?? [])]);
            event.target.value = '';
          }}
        />
        <p className="hint">Markdown, text, JSON, HTML, PDF and DOCX; each file is indexed at once.</p>
      </div>
      <UploadList items={items} />
    </section>
  );
}
