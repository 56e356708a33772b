import { z } from 'zod';
import type { BlobStore } from '../../blobs/blob-store.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { JobProcessor } from '../queue.js';
import { keySegment, putBlobJson, readBlobJson, readBlobText } from './blob-io.js';
import { MIN_SERIES_POINTS, forecastHolt } from './forecast.js';
import { parseSeriesCsv } from './series-csv.js';

export interface PredictionDependencies {
  blobs: BlobStore;
  /** Milliseconds since the epoch, stamped on the stored forecast; tests pass a fixed clock. */
  now?: () => number;
}

/** Series uploads beyond this are refused rather than read whole into memory (~200k rows). */
export const MAX_SERIES_BYTES = 8 * 1024 * 1024;
// Date's range ends at ±8.64e15 ms; a forecast stepping past it has no timestamp to give.
const LATEST_DATE_MS = 8.64e15;

/** Where a workspace's uploaded time series lives: a `timestamp,value` CSV. */
export const seriesKey = (workspaceId: string, seriesId: string) =>
  `series/${keySegment('workspaceId', workspaceId)}/${keySegment('seriesId', seriesId)}.csv`;

/** Where one prediction job writes its forecast. */
export const predictionKey = (workspaceId: string, seriesId: string, jobId: string) =>
  `predictions/${keySegment('workspaceId', workspaceId)}/${keySegment('seriesId', seriesId)}/${jobId}.json`;

const pointSchema = z.object({
  at: z.string(),
  value: z.number(),
  lower80: z.number(),
  upper80: z.number(),
  lower95: z.number(),
  upper95: z.number(),
  /** 0..1 (see `ForecastPoint.confidence`); absent in forecasts stored before it existed. */
  confidence: z.number().min(0).max(1).optional(),
});

/** The stored forecast: what `predictions/<workspace>/<series>/<job>.json` holds. */
export const predictionFileSchema = z.object({
  seriesId: z.string(),
  jobId: z.string(),
  createdAt: z.string(),
  model: z.literal('holt-linear'),
  alpha: z.number(),
  beta: z.number(),
  rmse: z.number(),
  sigma: z.number(),
  /** The mean of the points' confidence, 0..1; absent in forecasts stored before it existed. */
  confidence: z.number().min(0).max(1).optional(),
  observations: z.number().int(),
  points: z.array(pointSchema),
});
export type PredictionFile = z.infer<typeof predictionFileSchema>;

export interface PredictionResult {
  blobKey: string;
  model: 'holt-linear';
  alpha: number;
  beta: number;
  rmse: number;
  /** 0..1, the mean confidence of the forecast points. */
  confidence: number | null;
  observations: number;
  horizon: number;
}

const summary = (blobKey: string, file: PredictionFile): PredictionResult => ({
  blobKey,
  model: file.model,
  alpha: file.alpha,
  beta: file.beta,
  rmse: file.rmse,
  confidence: file.confidence ?? null,
  observations: file.observations,
  horizon: file.points.length,
});

/**
 * Forecasts `horizon` steps of an uploaded series with Holt's linear method (`forecast.ts`) and
 * stores the points with 80 % and 95 % intervals. A series that cannot be read, is too short or is
 * out of order fails for good (a `ValidationError` naming the line): retrying cannot fix the file.
 * Idempotent: a job that already wrote its forecast returns it without fitting again.
 *
 * Scheduling needs no cron: enqueue with `delayMs` for a run at a given time, and a job id per
 * period so the same schedule enqueued twice stays one job. For a daily forecast, enqueue the
 * next day's job when one completes:
 *
 * @example
 *   const runAt = Date.parse('2025-06-02T06:00:00Z');
 *   await jobs.enqueue(
 *     'predictions',
 *     { workspaceId, seriesId: 'daily-views', horizon: 14 },
 *     { jobId: `forecast-daily-views-2025-06-02`, delayMs: Math.max(0, runAt - Date.now()) },
 *   );
 */
export function createPredictionProcessor(
  dependencies: PredictionDependencies,
): JobProcessor<'predictions'> {
  const { blobs } = dependencies;
  const now = dependencies.now ?? Date.now;
  return async ({ id, payload, signal, report }) => {
    const { workspaceId, seriesId, horizon } = payload;
    const outputKey = predictionKey(workspaceId, seriesId, id);
    const done = await readBlobJson(blobs, outputKey, predictionFileSchema);
    if (done) return summary(outputKey, done);

    await report({ progress: 0.05, message: `Reading series ${seriesId}` });
    const text = await readBlobText(blobs, seriesKey(workspaceId, seriesId), MAX_SERIES_BYTES);
    if (text === undefined) {
      throw new NotFoundError('series_not_found', `No series ${seriesId} in this workspace`, {
        seriesId,
        key: seriesKey(workspaceId, seriesId),
      });
    }
    const points = parseSeriesCsv(text, seriesId);
    if (points.length < MIN_SERIES_POINTS) {
      throw new ValidationError(
        'series_too_short',
        `Series ${seriesId} has ${points.length} points; a forecast needs at least ${MIN_SERIES_POINTS}`,
        { seriesId, points: points.length, minimum: MIN_SERIES_POINTS },
      );
    }
    signal.throwIfAborted();
    await report({ progress: 0.3, message: `Fitting Holt's method to ${points.length} points` });
    // The forecast steps by the median gap, which is at most twice the mean gap (half the gaps are
    // at least the median, and they fit in the span), so this bound is safe before fitting.
    const span = points.at(-1)!.at - points[0]!.at;
    if (points.at(-1)!.at + (span / (points.length - 1)) * horizon * 2 > LATEST_DATE_MS) {
      throw new ValidationError(
        'horizon_too_far',
        `A ${horizon}-step forecast runs past year 275760`,
      );
    }
    const forecast = forecastHolt(points, horizon);
    signal.throwIfAborted();

    const file: PredictionFile = {
      seriesId,
      jobId: id,
      createdAt: new Date(now()).toISOString(),
      model: forecast.model,
      alpha: forecast.alpha,
      beta: forecast.beta,
      rmse: forecast.rmse,
      sigma: forecast.sigma,
      confidence: forecast.confidence,
      observations: points.length,
      points: forecast.points,
    };
    await report({ progress: 0.9, message: `Storing ${horizon} forecast points` });
    await putBlobJson(blobs, outputKey, file);
    return summary(outputKey, file);
  };
}
