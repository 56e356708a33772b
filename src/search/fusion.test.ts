import { describe, expect, it } from 'vitest';
import { RRF_K, fuseRanks } from './fusion.js';
import { queryTerms } from './query-terms.js';

describe('reciprocal-rank fusion', () => {
  it('rewards ids ranked well in both lists', () => {
    const fused = fuseRanks([
      [1, 2, 3],
      [3, 1, 4],
    ]);
    const order = [...fused.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    expect(order).toEqual([1, 3, 2, 4]);
    expect(fused.get(4)).toBeCloseTo(1 / (RRF_K + 3));
  });
});

describe('queryTerms', () => {
  it('drops stopwords and punctuation, keeps content words once', () => {
    expect(queryTerms('How do I roll back a policy? A POLICY!')).toEqual([
      'roll',
      'back',
      'policy',
    ]);
  });
  it('keeps a query of stopwords searchable and never emits FTS syntax', () => {
    expect(queryTerms('what is it')).toEqual(['what', 'is', 'it']);
    expect(queryTerms('"a" OR b* NEAR(c)')).toEqual(['b', 'near', 'c']);
  });
});
