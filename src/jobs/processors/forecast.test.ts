import { describe, expect, it } from 'vitest';
import { normals } from '../../../test/helpers/seeded-noise.js';
import {
  type SeriesPoint,
  confidenceScore,
  fitHolt,
  forecastHolt,
  holt,
  initialState,
  seriesScale,
  varianceFactor,
} from './forecast.js';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);

function series(values: number[], gapMs = DAY): SeriesPoint[] {
  return values.map((value, index) => ({ at: START + index * gapMs, value }));
}

describe("Holt's linear method", () => {
  it('continues an exact line exactly, with no spread', () => {
    const forecast = forecastHolt(series(Array.from({ length: 12 }, (_, t) => 5 + 3 * t)), 3);
    expect(forecast.sigma).toBe(0);
    expect(forecast.points.map((point) => point.value)).toEqual([41, 44, 47]);
    expect(forecast.points[0]).toMatchObject({ lower95: 41, upper95: 41 });
  });

  it('forecasts a noisy linear trend within its intervals', () => {
    const noise = normals(42);
    const line = (t: number) => 100 + 2 * t;
    const all = Array.from({ length: 150 }, (_, t) => line(t) + 3 * noise());
    const history = all.slice(0, 120);
    const future = all.slice(120);

    const forecast = forecastHolt(series(history), future.length);

    expect(forecast.model).toBe('holt-linear');
    // Noise of sd 3 around a line: one-step errors are about that size.
    expect(forecast.rmse).toBeGreaterThan(2);
    expect(forecast.rmse).toBeLessThan(5);
    const inside95 = forecast.points.filter(
      (point, h) => point.lower95 <= future[h]! && future[h]! <= point.upper95,
    );
    expect(inside95.length / future.length).toBeGreaterThanOrEqual(0.9);
    for (const [h, point] of forecast.points.entries()) {
      // The forecast follows the true line, not the last noisy point.
      expect(Math.abs(point.value - line(120 + h))).toBeLessThan(point.upper95 - point.value);
      expect(point.lower95).toBeLessThan(point.lower80);
      expect(point.upper80).toBeLessThan(point.upper95);
    }
    const width = (h: number) => forecast.points[h]!.upper95 - forecast.points[h]!.lower95;
    expect(width(29)).toBeGreaterThan(width(0));
  });

  it('smooths heavily around a flat level, and follows a random walk closely', () => {
    const noise = normals(7);
    const flat = Array.from({ length: 200 }, () => 50 + noise());
    let position = 0;
    const walk = Array.from({ length: 200 }, () => (position += noise()));

    expect(fitHolt(flat).alpha).toBeLessThanOrEqual(0.2);
    expect(fitHolt(walk).alpha).toBeGreaterThanOrEqual(0.8);
  });

  it('spaces forecast points by the median gap between timestamps', () => {
    const points = series(Array.from({ length: 10 }, (_, t) => t));
    // One late point must not stretch the step.
    points[9] = { at: points[9]!.at + 5 * DAY, value: 9 };
    const forecast = forecastHolt(points, 2);
    expect(forecast.stepMs).toBe(DAY);
    expect(forecast.points.map((point) => point.at)).toEqual([
      new Date(points[9]!.at + DAY).toISOString(),
      new Date(points[9]!.at + 2 * DAY).toISOString(),
    ]);
  });

  it('grows the variance with the horizon from σ² one step ahead', () => {
    expect(varianceFactor(0.5, 0.2, 1)).toBe(1);
    // Two steps ahead: the error of y_{n+2} is ε_{n+2} + (α + α·β)·ε_{n+1}.
    expect(varianceFactor(0.5, 0.2, 2)).toBeCloseTo(1 + (0.5 + 0.5 * 0.2) ** 2, 12);
    const factors = [1, 2, 5, 10, 50].map((h) => varianceFactor(0.3, 0.1, h));
    expect(factors).toEqual([...factors].sort((left, right) => left - right));
  });

  it('starts from the least-squares line through the first points', () => {
    // A wild second point would set a start trend of +40 if read from y_1 − y_0.
    const values = [10, 50, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
    expect(Math.abs(initialState(values).trend)).toBeLessThan(2);
    expect(initialState([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])).toEqual({
      level: 10,
      trend: 1,
    });
    expect(holt(values, 0.5, 0.1).errors).toBe(values.length);
  });

  it('scores confidence in 0..1: 1 for an exact line, lower for noise, falling with the horizon', () => {
    const exact = forecastHolt(series(Array.from({ length: 12 }, (_, t) => 5 + 3 * t)), 3);
    expect(exact.points.map((point) => point.confidence)).toEqual([1, 1, 1]);
    expect(exact.confidence).toBe(1);

    const noise = normals(3);
    const quiet = forecastHolt(series(Array.from({ length: 60 }, (_, t) => 100 + t + noise())), 10);
    const loud = forecastHolt(
      series(Array.from({ length: 60 }, (_, t) => 100 + t + 30 * noise())),
      10,
    );
    for (const forecast of [quiet, loud]) {
      const scores = forecast.points.map((point) => point.confidence);
      for (const score of scores) expect(score).toBeGreaterThan(0);
      for (const score of scores) expect(score).toBeLessThan(1);
      expect(scores).toEqual([...scores].sort((left, right) => right - left));
    }
    expect(loud.confidence).toBeLessThan(quiet.confidence);
    // Half-width equal to the scale scores one half.
    expect(confidenceScore(10, 10)).toBe(0.5);
    // A series around zero is measured against its spread, not its near-zero mean.
    expect(seriesScale([-2, 2, -2, 2])).toBe(2);
    expect(seriesScale([0, 0])).toBe(1);
  });

  it('refuses a series shorter than ten points', () => {
    expect(() => forecastHolt(series([1, 2, 3]), 1)).toThrow(/needs 10 points, got 3/);
  });
});
