import { describe, expect, it } from 'vitest';
import { foldUnchanged, sideBySide } from './line-diff';

describe('side-by-side line diff', () => {
  it('pairs a changed line and keeps the common ones aligned', () => {
    const rows = sideBySide('a\nb\nc\n', 'a\nB\nc\nd\n');
    expect(rows.map((row) => row.kind)).toEqual(['same', 'changed', 'same', 'added']);
    expect(rows[1]).toEqual({
      kind: 'changed',
      left: { number: 2, text: 'b' },
      right: { number: 2, text: 'B' },
    });
    expect(rows[3]?.right).toEqual({ number: 4, text: 'd' });
  });

  it('shows a removed file as all removed and an added one as all added', () => {
    expect(sideBySide('x\ny', '').map((row) => row.kind)).toEqual(['removed', 'removed']);
    expect(sideBySide('', 'x').map((row) => row.kind)).toEqual(['added']);
  });

  it('ignores a missing newline at the end of the file', () => {
    expect(sideBySide('a\nb', 'a\nb\n').map((row) => row.kind)).toEqual(['same', 'same']);
  });

  it('diffs a long policy line by line (it showed as wholly changed past 4,000 lines)', () => {
    const before = Array.from({ length: 5_000 }, (_, index) => `rule ${index}`).join('\n');
    const rows = sideBySide(before, before.replace('rule 4321\n', 'rule 4321 (edited)\n'));
    expect(rows.filter((row) => row.kind !== 'same')).toEqual([
      {
        kind: 'changed',
        left: { number: 4322, text: 'rule 4321' },
        right: { number: 4322, text: 'rule 4321 (edited)' },
      },
    ]);
  });

  it('folds long unchanged stretches, keeping context around a change', () => {
    const before = Array.from({ length: 20 }, (_, index) => `line ${index}`).join('\n');
    const after = before.replace('line 10', 'line ten');
    const kinds = foldUnchanged(sideBySide(before, after), 2).map((row) =>
      row.kind === 'fold' ? `fold ${row.hidden}` : row.kind,
    );
    expect(kinds).toEqual(['fold 8', 'same', 'same', 'changed', 'same', 'same', 'fold 7']);
  });
});
