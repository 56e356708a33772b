import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { JobQueue } from '../../jobs/queue.js';
import { jobWorkspace, requireJob } from '../job-access.js';
import { errorSchema } from '../schemas.js';
import { jobParamsSchema } from './job-schemas.js';

/** The stored output a finished job names in its result (`generate`, `images`, `predictions`). */
function outputKey(result: unknown): string | undefined {
  const key = (result as { blobKey?: unknown } | null | undefined)?.blobKey;
  return typeof key === 'string' ? key : undefined;
}

export interface JobOutputRouteDeps {
  jobs: Pick<JobQueue, 'get'>;
  blobs: Pick<BlobStore, 'get'>;
}

/**
 * `GET /v1/jobs/{id}/output`: what a job produced, streamed from the blob store (a local folder
 * or S3) with its content type: generated Markdown, a PNG, a forecast's JSON. The API is the only
 * way in, so the workspace check on the job also guards its output.
 */
export const jobOutputRoutes =
  ({ jobs, blobs }: JobOutputRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/jobs/:id/output',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: "A completed job's stored output (generated text, image or forecast)",
          tags: ['jobs'],
          params: jobParamsSchema,
          // The body is the stored bytes, streamed as they are (not serialised).
          response: { 200: z.unknown(), 404: errorSchema, 409: errorSchema },
        },
      },
      async (request, reply) => {
        const job = await requireJob(jobs, request.params.id, request.principal);
        if (job.state !== 'completed') {
          throw new ConflictError('job_not_completed', `Job ${job.id} is ${job.state}`, {
            jobId: job.id,
            state: job.state,
          });
        }
        const key = outputKey(job.result);
        const workspaceId = jobWorkspace(job);
        // Every output key holds its workspace as a segment; anything else is not served.
        const object =
          key && workspaceId && key.split('/').includes(workspaceId)
            ? await blobs.get(key)
            : undefined;
        if (!object) {
          throw new NotFoundError('job_output_not_found', `Job ${job.id} has no stored output`, {
            jobId: job.id,
          });
        }
        return reply
          .type(object.contentType)
          .header('content-length', object.size)
          .header('x-content-type-options', 'nosniff')
          .send(object.body);
      },
    );
  };
