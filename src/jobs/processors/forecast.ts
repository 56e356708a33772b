/**
 * Holt's linear exponential smoothing (level + trend), fitted by grid search, with prediction
 * intervals. Pure math: no I/O, no clock; `predictions.ts` reads the series and stores the result.
 *
 * The method (Hyndman & Athanasopoulos, Forecasting: Principles and Practice, 3rd ed., §8.2):
 *   level  ℓ_t = α·y_t + (1 − α)·(ℓ_{t−1} + b_{t−1})
 *   trend  b_t = β·(ℓ_t − ℓ_{t−1}) + (1 − β)·b_{t−1}
 *   forecast h steps after the last point: ŷ_{n+h} = ℓ_n + h·b_n
 */

export interface SeriesPoint {
  /** Milliseconds since the epoch. */
  at: number;
  value: number;
}

export interface ForecastPoint {
  at: string;
  value: number;
  lower80: number;
  upper80: number;
  lower95: number;
  upper95: number;
  /**
   * 0..1: how tight the 95 % interval is against the series' own scale, 1 / (1 + w / s) with w
   * the interval's half-width and s the mean absolute value of the series (its standard deviation
   * when that is 0). 1 for an exact fit; ½ when the half-width equals the scale; falls with h.
   */
  confidence: number;
}

export interface Forecast {
  model: 'holt-linear';
  alpha: number;
  beta: number;
  /** Root mean squared one-step-ahead error over the fitted series. */
  rmse: number;
  /** The residual standard deviation σ̂ the intervals are built from. */
  sigma: number;
  /** The spacing of forecast points: the median gap between the series' timestamps. */
  stepMs: number;
  /** The mean of the points' confidence scores, 0..1. */
  confidence: number;
  points: ForecastPoint[];
}

/**
 * The fewest points a forecast is made from: four numbers are estimated (α, β, the starting level
 * and trend), and the σ̂ of the intervals needs a few more errors than that to mean anything.
 */
export const MIN_SERIES_POINTS = 10;

const Z80 = 1.2815515655446004;
const Z95 = 1.959963984540054;

interface Fit {
  alpha: number;
  beta: number;
  level: number;
  trend: number;
  sse: number;
  errors: number;
}

/** How many leading points the starting level and trend are read from. */
const START_POINTS = 10;

/**
 * The starting level and trend: the least-squares line through the first points. Starting from
 * y_1 − y_0 instead lets one noisy pair set a wrong trend that the fit then bends α to undo.
 */
export function initialState(values: readonly number[]): { level: number; trend: number } {
  const count = Math.min(START_POINTS, values.length);
  const meanT = (count - 1) / 2;
  let meanY = 0;
  for (let t = 0; t < count; t++) meanY += values[t]! / count;
  let covariance = 0;
  let variance = 0;
  for (let t = 0; t < count; t++) {
    covariance += (t - meanT) * (values[t]! - meanY);
    variance += (t - meanT) ** 2;
  }
  const trend = variance > 0 ? covariance / variance : 0;
  return { level: meanY - trend * meanT, trend };
}

/**
 * Runs the smoothing over `values` and sums the squared one-step-ahead errors, one per point: the
 * state before y_0 is set so that its forecast of y_0 is the starting line's value there.
 */
export function holt(values: readonly number[], alpha: number, beta: number): Fit {
  const start = initialState(values);
  let trend = start.trend;
  let level = start.level - trend;
  let sse = 0;
  for (const value of values) {
    sse += (value - (level + trend)) ** 2;
    const previous = level;
    level = alpha * value + (1 - alpha) * (level + trend);
    trend = beta * (level - previous) + (1 - beta) * trend;
  }
  return { alpha, beta, level, trend, sse, errors: values.length };
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

function bestOn(values: readonly number[], alphas: number[], betas: number[], start: Fit): Fit {
  let best = start;
  for (const alpha of alphas) {
    for (const beta of betas) {
      const fit = holt(values, alpha, beta);
      // Strictly better only: ties keep the earlier (smoother) parameters, so results are stable.
      if (fit.sse < best.sse) best = fit;
    }
  }
  return best;
}

const steps = (from: number, to: number, by: number) =>
  Array.from({ length: Math.round((to - from) / by) + 1 }, (_, index) =>
    round(from + index * by, 4),
  );

/**
 * α and β minimising the one-step-ahead squared error: a 0.05 grid over (0, 1), then a 0.01 grid
 * around the best cell. 361 + 81 passes over the series instead of 9,801 for a full 0.01 grid.
 */
export function fitHolt(values: readonly number[]): Fit {
  const coarse = steps(0.05, 0.95, 0.05);
  const first = bestOn(values, coarse, coarse, holt(values, coarse[0]!, coarse[0]!));
  const near = (center: number) =>
    steps(Math.max(0.01, center - 0.04), Math.min(0.99, center + 0.04), 0.01);
  return bestOn(values, near(first.alpha), near(first.beta), first);
}

/**
 * The forecast variance h steps ahead, relative to σ², for Holt's method written as the state
 * space model ETS(A,A,N) (FPP, 3rd ed., §8.7), whose trend smoothing is β_ss = α·β:
 *   σ²_h = σ²·[1 + (h − 1)·(α² + α·β_ss·h + β_ss²·h·(2h − 1)/6)]
 * One step ahead it is σ² itself; it grows with h, quadratically and then cubically, as both the
 * level's and the trend's uncertainty compound.
 */
export function varianceFactor(alpha: number, beta: number, h: number): number {
  const trendGain = alpha * beta;
  return (
    1 + (h - 1) * (alpha ** 2 + alpha * trendGain * h + (trendGain ** 2 * h * (2 * h - 1)) / 6)
  );
}

function medianGap(points: readonly SeriesPoint[]): number {
  const gaps = points
    .slice(1)
    .map((point, index) => point.at - points[index]!.at)
    .sort((left, right) => left - right);
  const middle = Math.floor(gaps.length / 2);
  return gaps.length % 2 === 1 ? gaps[middle]! : (gaps[middle - 1]! + gaps[middle]!) / 2;
}

/**
 * The yardstick interval widths are compared with: the series' typical magnitude, or its spread
 * when it averages to 0 (a series of deltas), or 1 when it is constant 0.
 */
export function seriesScale(values: readonly number[]): number {
  const meanAbsolute = values.reduce((sum, value) => sum + Math.abs(value), 0) / values.length;
  if (meanAbsolute > 0) return meanAbsolute;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const spread = Math.sqrt(
    values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length,
  );
  return spread > 0 ? spread : 1;
}

/** 1 / (1 + halfWidth / scale): 1 for no spread, towards 0 as the interval dwarfs the series. */
export function confidenceScore(halfWidth95: number, scale: number): number {
  return 1 / (1 + Math.max(0, halfWidth95) / scale);
}

/**
 * Fits Holt's method to a sorted series and forecasts `horizon` points, one median gap apart, with
 * 80 % and 95 % prediction intervals ŷ ± z·σ̂·√factor(h) (z = 1.2816 and 1.9600). σ̂ is the
 * residual standard deviation of the n one-step-ahead errors, √(SSE / (n − 4)): four degrees of
 * freedom go to α, β and the starting level and trend. The caller checks length and order.
 *
 * @example
 *   const forecast = forecastHolt(points, 7); // forecast.points[0].value, .lower95, .upper95 …
 */
export function forecastHolt(points: readonly SeriesPoint[], horizon: number): Forecast {
  if (points.length < MIN_SERIES_POINTS) {
    throw new RangeError(`Holt's method needs ${MIN_SERIES_POINTS} points, got ${points.length}`);
  }
  const fit = fitHolt(points.map((point) => point.value));
  const sigma = Math.sqrt(fit.sse / (fit.errors - 4));
  const stepMs = medianGap(points);
  const last = points.at(-1)!.at;
  const scale = seriesScale(points.map((point) => point.value));
  const forecast: ForecastPoint[] = [];
  for (let h = 1; h <= horizon; h++) {
    const value = fit.level + h * fit.trend;
    const spread = sigma * Math.sqrt(varianceFactor(fit.alpha, fit.beta, h));
    forecast.push({
      at: new Date(last + h * stepMs).toISOString(),
      value,
      lower80: value - Z80 * spread,
      upper80: value + Z80 * spread,
      lower95: value - Z95 * spread,
      upper95: value + Z95 * spread,
      confidence: confidenceScore(Z95 * spread, scale),
    });
  }
  return {
    model: 'holt-linear',
    alpha: fit.alpha,
    beta: fit.beta,
    rmse: Math.sqrt(fit.sse / fit.errors),
    sigma,
    stepMs,
    confidence: forecast.reduce((sum, point) => sum + point.confidence, 0) / forecast.length,
    points: forecast,
  };
}
