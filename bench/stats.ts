export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of durations in milliseconds, rounded to 0.01 ms. */
export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((left, right) => left - right);
  const at = (share: number) => sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)] ?? 0;
  const round = (value: number) => Math.round(value * 100) / 100;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return {
    count: sorted.length,
    mean: round(mean),
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(at(1)),
  };
}
