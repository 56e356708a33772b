import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BlobStore } from '../../blobs/blob-store.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { MIN_SERIES_POINTS } from '../../jobs/processors/forecast.js';
import { MAX_SERIES_BYTES, seriesKey } from '../../jobs/processors/predictions.js';
import { parseSeriesCsv } from '../../jobs/processors/series-csv.js';
import { errorSchema } from '../schemas.js';

const seriesSchema = z.object({
  seriesId: z.string(),
  bytes: z.number().int(),
  updatedAt: z.string(),
});
const uploadedSchema = seriesSchema.extend({
  points: z.number().int(),
  from: z.string(),
  to: z.string(),
});
// The id becomes one segment of a blob key and a file name: letters, digits and -_. only.
const seriesParams = z.object({
  seriesId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, "-", "_" and "." (1-100)'),
});
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
// Forecasts are the `predictions` queue's work, which needs the `chat` scope: uploads go with it.
const access = { access: { role: 'user' as const, scope: 'chat' as const } };

const prefixOf = (workspaceId: string) => seriesKey(workspaceId, 'x').slice(0, -'x.csv'.length);

export interface SeriesRouteDeps {
  blobs: Pick<BlobStore, 'put' | 'list' | 'get' | 'exists' | 'delete'>;
}

/**
 * `/v1/series`: the time series of your workspace that `predictions` jobs forecast (Viral Cast).
 * An upload is a `timestamp,value` CSV checked in full before it is stored, so a bad file is a
 * 400 naming the line, never a job that fails later, and what was stored before stays.
 */
export const seriesRoutes =
  ({ blobs }: SeriesRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Only in this plugin: every other route still takes JSON alone, and these take CSV alone.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: MAX_SERIES_BYTES },
      (_request, body, done) => done(null, body),
    );

    app.put(
      '/v1/series/:seriesId',
      {
        config: access,
        schema: {
          summary: 'Upload (or replace) a time series: a `timestamp,value` CSV, text/csv',
          tags: ['series'],
          params: seriesParams,
          consumes: ['text/csv'],
          body: z.string(),
          response: { 200: uploadedSchema, ...errors, 413: errorSchema, 415: errorSchema },
        },
      },
      async (request) => {
        const { seriesId } = request.params;
        const points = parseSeriesCsv(request.body, seriesId);
        if (points.length < MIN_SERIES_POINTS) {
          throw new ValidationError(
            'series_too_short',
            `Series ${seriesId} has ${points.length} points; a forecast needs at least ${MIN_SERIES_POINTS}`,
            { seriesId, points: points.length, minimum: MIN_SERIES_POINTS },
          );
        }
        const stored = await blobs.put(
          seriesKey(request.principal.workspaceId, seriesId),
          Buffer.from(request.body),
          { contentType: 'text/csv', metadata: { 'uploaded-by': request.principal.userId } },
        );
        return {
          seriesId,
          bytes: stored.size,
          updatedAt: new Date().toISOString(),
          points: points.length,
          from: new Date(points[0]!.at).toISOString(),
          to: new Date(points.at(-1)!.at).toISOString(),
        };
      },
    );

    app.get(
      '/v1/series',
      {
        config: access,
        schema: {
          summary: "Your workspace's time series",
          tags: ['series'],
          response: { 200: z.object({ series: z.array(seriesSchema) }), ...errors },
        },
      },
      async (request) => {
        const prefix = prefixOf(request.principal.workspaceId);
        const series: z.infer<typeof seriesSchema>[] = [];
        let cursor: string | undefined;
        do {
          const page = await blobs.list(prefix, { limit: 1000, ...(cursor && { cursor }) });
          for (const item of page.items) {
            series.push({
              seriesId: item.key.slice(prefix.length, -'.csv'.length),
              bytes: item.size,
              updatedAt: item.lastModified.toISOString(),
            });
          }
          cursor = page.nextCursor;
        } while (cursor);
        return { series };
      },
    );

    app.get(
      '/v1/series/:seriesId',
      {
        config: access,
        schema: {
          summary: 'The CSV of one series',
          tags: ['series'],
          params: seriesParams,
          produces: ['text/csv'],
          response: { 200: z.unknown(), ...errors },
        },
      },
      async (request, reply) => {
        const { seriesId } = request.params;
        const object = await blobs.get(seriesKey(request.principal.workspaceId, seriesId));
        if (!object) throw notFound(seriesId);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-length', object.size)
          .send(object.body);
      },
    );

    app.delete(
      '/v1/series/:seriesId',
      {
        config: access,
        schema: {
          summary: 'Delete a series (forecasts already made stay)',
          tags: ['series'],
          params: seriesParams,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const { seriesId } = request.params;
        const key = seriesKey(request.principal.workspaceId, seriesId);
        if (!(await blobs.exists(key))) throw notFound(seriesId);
        await blobs.delete(key);
        return reply.status(204).send(null);
      },
    );
  };

function notFound(seriesId: string): NotFoundError {
  return new NotFoundError('series_not_found', `No series ${seriesId} in this workspace`, {
    seriesId,
  });
}
