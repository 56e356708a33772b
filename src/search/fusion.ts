/** Constant of reciprocal-rank fusion; 60 is the value from Cormack et al. (2009). */
export const RRF_K = 60;

/**
 * Reciprocal-rank fusion: each list contributes 1 / (RRF_K + rank) for every id it holds, so
 * lists with incomparable scores (BM25, cosine) combine by rank alone.
 *
 * @example
 *   fuseRanks([[3, 1, 2], [1, 4]]) // → Map { 1 => 0.0325…, 3 => 0.0164…, … }
 */
export function fuseRanks(lists: number[][]): Map<number, number> {
  const fused = new Map<number, number>();
  for (const list of lists) {
    list.forEach((id, rank) => {
      fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + rank + 1));
    });
  }
  return fused;
}
