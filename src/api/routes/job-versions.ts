import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import {
  GeneratedDocuments,
  versionMetadataSchema,
} from '../../jobs/processors/generated-versions.js';
import type { JobQueue, JobRecord } from '../../jobs/queue.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { Principal } from '../../auth/principal.js';
import { jobWorkspace, requireJob } from '../job-access.js';
import { errorSchema } from '../schemas.js';
import { jobParamsSchema } from './job-schemas.js';

const versionSummarySchema = versionMetadataSchema
  .pick({
    version: true,
    jobId: true,
    userId: true,
    createdAt: true,
    characters: true,
    title: true,
    provider: true,
    model: true,
  })
  .describe('One stored version of a generated document');

const versionListSchema = z.object({
  documentId: z.string(),
  versions: z.array(versionSummarySchema),
});

const versionSchema = versionMetadataSchema
  .extend({ text: z.string() })
  .describe('One version of a generated document: its Markdown text and metadata');

/**
 * The generated document a `generate` job wrote to: the job's `documentId`, or the job's own id.
 * Access is the job's: its workspace's members (and admins) may read; anyone else gets a 404.
 */
async function documentOf(
  jobs: Pick<JobQueue, 'get'>,
  documents: GeneratedDocuments,
  id: string,
  principal: Principal,
): Promise<{ documentId: string; folder: string }> {
  const job: JobRecord = await requireJob(jobs, id, principal);
  const workspaceId = jobWorkspace(job);
  if (job.queue !== 'generate' || !workspaceId) {
    throw new NotFoundError('job_has_no_versions', `Job ${id} does not write a document`, {
      jobId: id,
      queue: job.queue,
    });
  }
  const documentId = (job.payload as { documentId?: string }).documentId ?? job.id;
  return { documentId, folder: documents.folder(workspaceId, documentId) };
}

export interface JobVersionRouteDeps {
  jobs: Pick<JobQueue, 'get'>;
  blobs: BlobStore;
}

/**
 * `GET /v1/jobs/{id}/versions` and `GET /v1/jobs/{id}/versions/{version}`: every version of the
 * document a `generate` job writes to (AI-Writer keeps versioned content), and any one of them.
 * Jobs that share a `documentId` list the same versions.
 */
export const jobVersionRoutes =
  ({ jobs, blobs }: JobVersionRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const documents = new GeneratedDocuments(blobs);

    app.get(
      '/v1/jobs/:id/versions',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: "The stored versions of a generate job's document, oldest first",
          tags: ['jobs'],
          params: jobParamsSchema,
          response: { 200: versionListSchema, 404: errorSchema },
        },
      },
      async (request) => {
        const { documentId, folder } = await documentOf(
          jobs,
          documents,
          request.params.id,
          request.principal,
        );
        const versions = (await documents.list(folder)).map((metadata) =>
          versionSummarySchema.parse(metadata),
        );
        return { documentId, versions };
      },
    );

    app.get(
      '/v1/jobs/:id/versions/:version',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: "One version of a generate job's document: its Markdown text and metadata",
          tags: ['jobs'],
          params: jobParamsSchema.extend({ version: z.coerce.number().int().positive() }),
          response: { 200: versionSchema, 404: errorSchema },
        },
      },
      async (request) => {
        const { documentId, folder } = await documentOf(
          jobs,
          documents,
          request.params.id,
          request.principal,
        );
        const found = await documents.read(folder, request.params.version);
        if (!found) {
          throw new NotFoundError(
            'version_not_found',
            `Document ${documentId} has no version ${request.params.version}`,
            { documentId, version: request.params.version },
          );
        }
        return { ...found.metadata, text: found.text };
      },
    );
  };
