/** One row of a side-by-side diff: a line on the left, the right, or both. */
export interface DiffRow {
  kind: 'same' | 'removed' | 'added' | 'changed';
  left?: { number: number; text: string };
  right?: { number: number; text: string };
}

/**
 * Line diff by longest common subsequence, laid out side by side: a removed line next to an added
 * one becomes one `changed` row. Policy files are small (hundreds of lines), so the O(n·m) table
 * is cheap; beyond 4,000 lines a side the whole file shows as changed rather than freezing the tab.
 */
export function sideBySide(before: string, after: string): DiffRow[] {
  const left = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const right = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  if (left.length > 4000 || right.length > 4000)
    return pair(
      left.map((text, index) => ({ text, index })),
      right.map((text, index) => ({ text, index })),
    );

  const width = right.length + 1;
  const common = new Uint32Array((left.length + 1) * width);
  for (let i = left.length - 1; i >= 0; i--)
    for (let j = right.length - 1; j >= 0; j--)
      common[i * width + j] =
        left[i] === right[j]
          ? (common[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(common[(i + 1) * width + j] ?? 0, common[i * width + j + 1] ?? 0);

  const rows: DiffRow[] = [];
  let removed: { text: string; index: number }[] = [];
  let added: { text: string; index: number }[] = [];
  const flush = () => {
    rows.push(...pair(removed, added));
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i < left.length && j < right.length && left[i] === right[j]) {
      flush();
      rows.push({
        kind: 'same',
        left: { number: i + 1, text: left[i] ?? '' },
        right: { number: j + 1, text: right[j] ?? '' },
      });
      i++;
      j++;
    } else if (
      j < right.length &&
      (i >= left.length || (common[i * width + j + 1] ?? 0) >= (common[(i + 1) * width + j] ?? 0))
    ) {
      added.push({ text: right[j] ?? '', index: j++ });
    } else {
      removed.push({ text: left[i] ?? '', index: i++ });
    }
  }
  flush();
  return rows;
}

function pair(
  removed: { text: string; index: number }[],
  added: { text: string; index: number }[],
): DiffRow[] {
  const rows: DiffRow[] = [];
  for (let k = 0; k < Math.max(removed.length, added.length); k++) {
    const gone = removed[k];
    const come = added[k];
    const row: DiffRow = { kind: gone && come ? 'changed' : gone ? 'removed' : 'added' };
    if (gone) row.left = { number: gone.index + 1, text: gone.text };
    if (come) row.right = { number: come.index + 1, text: come.text };
    rows.push(row);
  }
  return rows;
}

/** A diff with long unchanged stretches folded to `context` lines around each change. */
export type FoldedRow = DiffRow | { kind: 'fold'; hidden: number };

export function foldUnchanged(rows: DiffRow[], context = 3): FoldedRow[] {
  const near = rows.map((row) => row.kind !== 'same');
  const keep = rows.map((_, index) =>
    near.slice(Math.max(0, index - context), index + context + 1).some(Boolean),
  );
  const out: FoldedRow[] = [];
  let hidden = 0;
  rows.forEach((row, index) => {
    if (keep[index]) {
      if (hidden > 0) out.push({ kind: 'fold', hidden });
      hidden = 0;
      out.push(row);
    } else hidden++;
  });
  if (hidden > 0) out.push({ kind: 'fold', hidden });
  return out;
}
