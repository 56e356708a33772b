import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ConflictError, NotFoundError } from '../../errors.js';
import { parsePayload } from '../../jobs/contracts.js';
import { availableQueue } from '../../jobs/processors.js';
import type { JobQueue, JobRecord } from '../../jobs/queue.js';
import { requireSource } from '../../kb/sources.js';
import type { OutboundGuard } from '../../net/outbound-guard.js';
import type { KnowledgeStore } from '../../store/store.js';
import { assertMayManage, authorizeEnqueue, canSeeJob, requireJob } from '../job-access.js';
import { errorSchema } from '../schemas.js';
import {
  jobLinks,
  jobListQuerySchema,
  jobParamsSchema,
  jobSchema,
  newJobSchema,
} from './job-schemas.js';

const view = (record: JobRecord) => record as z.infer<typeof jobSchema>;

export interface JobRouteDeps {
  jobs: Pick<JobQueue, 'enqueue' | 'list' | 'get' | 'retry' | 'cancel'>;
  /** The source an ingest job names, checked before it is queued. */
  knowledge: Pick<KnowledgeStore, 'getSource'>;
  outbound: Pick<OutboundGuard, 'check'>;
}

/**
 * Durable jobs: enqueue, list, read, retry and cancel (following, output and versions are
 * `jobEventRoutes`, `jobOutputRoutes` and `jobVersionRoutes`).
 */
export const jobRoutes =
  ({ jobs, knowledge, outbound }: JobRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/jobs',
      {
        // The queue decides the rest (see QUEUE_ACCESS): ingest needs a manager, webhooks an admin.
        config: { access: { role: 'user', rateLimit: 'chat' } },
        schema: {
          summary: 'Enqueue a job; the workspace (and user) come from your credentials',
          tags: ['jobs'],
          body: newJobSchema,
          response: {
            202: jobSchema,
            400: errorSchema,
            403: errorSchema,
            404: errorSchema,
            409: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { principal } = request;
        const queue = availableQueue(request.body.queue);
        const payload = authorizeEnqueue(principal, queue, request.body.payload);
        // Validated here as well as in the queue, so a bad payload is a 400 before the checks below.
        const parsed = parsePayload(queue, payload);
        if ('sourceId' in parsed) {
          const source = await requireSource(knowledge, parsed.sourceId, principal);
          // The job would fail on it anyway; an admin naming a workspace must name the source's.
          if (source.workspaceId !== parsed.workspaceId) {
            throw new NotFoundError(
              'source_not_found',
              `No knowledge source with id ${source.id}`,
              {
                id: source.id,
              },
            );
          }
        }
        // Checked again at delivery, on the address then resolved.
        if ('url' in parsed) await outbound.check(parsed.url);
        const { id, priority, delayMs } = request.body;
        const job = await jobs.enqueue(queue, parsed, {
          ...(id !== undefined && { jobId: id }),
          ...(priority !== undefined && { priority }),
          ...(delayMs !== undefined && { delayMs }),
        });
        if (!canSeeJob(principal, job)) {
          // The id names another workspace's job: say it is taken, show nothing of it.
          throw new ConflictError('job_id_conflict', `Job id ${job.id} is taken; choose another`, {
            jobId: job.id,
          });
        }
        return reply.status(202).header('location', jobLinks(job.id).job).send(view(job));
      },
    );

    app.get(
      '/v1/jobs',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: "Jobs newest first: your workspace's, or every job for admins",
          tags: ['jobs'],
          querystring: jobListQuerySchema,
          response: { 200: z.object({ jobs: z.array(jobSchema) }), 400: errorSchema },
        },
      },
      async (request) => {
        const { principal } = request;
        const { state, queue, limit } = request.query;
        const listed = await jobs.list({
          limit,
          ...(state && { state }),
          ...(queue && { queue }),
          ...(principal.role !== 'admin' && { workspaceId: principal.workspaceId }),
        });
        return { jobs: listed.map(view) };
      },
    );

    app.get(
      '/v1/jobs/:id',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: 'One job: state, attempts, progress, result or last error',
          tags: ['jobs'],
          params: jobParamsSchema,
          response: { 200: jobSchema, 404: errorSchema },
        },
      },
      async (request) => view(await requireJob(jobs, request.params.id, request.principal)),
    );

    app.post(
      '/v1/jobs/:id/retry',
      {
        config: { access: { role: 'manager' } },
        schema: {
          summary: 'Run a dead or cancelled job again, its attempts counted from zero',
          tags: ['jobs'],
          params: jobParamsSchema,
          response: { 202: jobSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (request, reply) => {
        const job = await requireJob(jobs, request.params.id, request.principal);
        assertMayManage(request.principal, job.queue);
        return reply.status(202).send(view(await jobs.retry(job.id)));
      },
    );

    app.post(
      '/v1/jobs/:id/cancel',
      {
        config: { access: { role: 'manager' } },
        schema: {
          summary:
            'Cancel a job: a waiting one at once; a running one is asked to stop (`cancelRequested`)',
          tags: ['jobs'],
          params: jobParamsSchema,
          response: { 200: jobSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (request) => {
        const job = await requireJob(jobs, request.params.id, request.principal);
        assertMayManage(request.principal, job.queue);
        if (job.state === 'completed' || job.state === 'dead') {
          throw new ConflictError('job_finished', `Job ${job.id} is already ${job.state}`, {
            jobId: job.id,
            state: job.state,
          });
        }
        return view(job.state === 'cancelled' ? job : await jobs.cancel(job.id));
      },
    );
  };
