import { api } from '../api/client';
import type { PolicyFileDiff } from '../api/types';
import { shortVersion } from '../ui/format';
import { Async, Empty } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { foldUnchanged, sideBySide } from './line-diff';

/** Two policy versions file by file, side by side; unchanged files are listed, not shown. */
export function PolicyDiff({ from, to }: { from: string; to: string }) {
  const diff = useResource(
    (signal) =>
      api<{ files: PolicyFileDiff[] }>('/v1/policies/diff', { query: { from, to }, signal }),
    [from, to],
  );
  return (
    <Async resource={diff} label="Comparing versions…">
      {({ files }) => {
        const changed = files.filter((file) => file.status !== 'same');
        const same = files.length - changed.length;
        if (changed.length === 0) return <Empty>The two versions have the same files.</Empty>;
        return (
          <div
            className="diff"
            aria-label={`Differences from ${shortVersion(from)} to ${shortVersion(to)}`}
          >
            {changed.map((file) => (
              <details key={file.path} open className="diff-file">
                <summary>
                  <code>{file.path}</code>{' '}
                  <span className={`badge diff-${file.status}`}>{file.status}</span>
                </summary>
                <div className="table-scroll">
                  <table className="diff-table">
                    <colgroup>
                      <col className="number-column" />
                      <col />
                      <col className="number-column" />
                      <col />
                    </colgroup>
                    <thead>
                      <tr>
                        <th scope="col" colSpan={2}>
                          {shortVersion(from)}
                        </th>
                        <th scope="col" colSpan={2}>
                          {shortVersion(to)}
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {foldUnchanged(sideBySide(file.before ?? '', file.after ?? '')).map(
                        (row, index) =>
                          row.kind === 'fold' ? (
                            <tr key={index} className="diff-fold">
                              <td colSpan={4}>… {row.hidden} unchanged lines</td>
                            </tr>
                          ) : (
                            <tr key={index} className={`diff-${row.kind}`}>
                              <td className="line-number">{row.left?.number}</td>
                              <td className={row.left && row.kind !== 'same' ? 'del' : ''}>
                                <pre>{row.left?.text}</pre>
                              </td>
                              <td className="line-number">{row.right?.number}</td>
                              <td className={row.right && row.kind !== 'same' ? 'ins' : ''}>
                                <pre>{row.right?.text}</pre>
                              </td>
                            </tr>
                          ),
                      )}
                    </tbody>
                  </table>
                </div>
              </details>
            ))}
            {same > 0 && <p className="hint">{same} unchanged file(s) not shown.</p>}
          </div>
        );
      }}
    </Async>
  );
}
