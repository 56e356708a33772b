import { diffLines } from 'diff';

/** One row of a side-by-side diff: a line on the left, the right, or both. */
export interface DiffRow {
  kind: 'same' | 'removed' | 'added' | 'changed';
  left?: { number: number; text: string };
  right?: { number: number; text: string };
}

interface Line {
  number: number;
  text: string;
}

/**
 * The `diff` package's line diff laid out side by side: removed lines next to the added ones that
 * replace them become `changed` rows. A diff that takes over a second (huge, wholly different
 * files) shows the whole file as changed rather than freezing the tab.
 */
export function sideBySide(before: string, after: string): DiffRow[] {
  const changes = diffLines(before, after, { ignoreNewlineAtEof: true, timeout: 1_000 }) ?? [
    { value: before, removed: true, added: false, count: 0 },
    { value: after, removed: false, added: true, count: 0 },
  ];
  const rows: DiffRow[] = [];
  let removed: Line[] = [];
  let added: Line[] = [];
  let leftNumber = 0;
  let rightNumber = 0;
  for (const change of changes) {
    const texts = change.value === '' ? [] : change.value.replace(/\n$/, '').split('\n');
    if (change.removed) removed.push(...texts.map((text) => ({ number: ++leftNumber, text })));
    else if (change.added) added.push(...texts.map((text) => ({ number: ++rightNumber, text })));
    else {
      rows.push(...pair(removed, added));
      removed = [];
      added = [];
      for (const text of texts)
        rows.push({
          kind: 'same',
          left: { number: ++leftNumber, text },
          right: { number: ++rightNumber, text },
        });
    }
  }
  rows.push(...pair(removed, added));
  return rows;
}

function pair(removed: Line[], added: Line[]): DiffRow[] {
  const rows: DiffRow[] = [];
  for (let k = 0; k < Math.max(removed.length, added.length); k++) {
    const left = removed[k];
    const right = added[k];
    const row: DiffRow = { kind: left && right ? 'changed' : left ? 'removed' : 'added' };
    if (left) row.left = left;
    if (right) row.right = right;
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
