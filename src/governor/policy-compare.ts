export type FileStatus = 'added' | 'removed' | 'changed' | 'same';

/** One file of two policy versions: `before` is null when added, `after` null when removed. */
export interface FileComparison {
  path: string;
  status: FileStatus;
  before: string | null;
  after: string | null;
}

export interface PolicyComparison {
  from: string;
  to: string;
  files: FileComparison[];
}

/**
 * Every path of either version, sorted, with its status and both contents, so a reader can show
 * the versions side by side (and the CLI can print a unified diff of the changed ones).
 *
 * @example
 *   compareFiles({ 'a.yaml': 'x' }, { 'a.yaml': 'y', 'b.md': 'z' });
 *   // [{ path: 'a.yaml', status: 'changed', … }, { path: 'b.md', status: 'added', … }]
 */
export function compareFiles(
  before: Record<string, string>,
  after: Record<string, string>,
): FileComparison[] {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return paths.map((path) => {
    const left = before[path] ?? null;
    const right = after[path] ?? null;
    const status: FileStatus =
      left === null ? 'added' : right === null ? 'removed' : left === right ? 'same' : 'changed';
    return { path, status, before: left, after: right };
  });
}
