import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isKeelError } from '../../errors.js';
import type { JobQueue } from '../../jobs/queue.js';
import { errorBody } from '../error-handler.js';
import { requireJob } from '../job-access.js';
import { errorSchema } from '../schemas.js';
import { SSE_HEARTBEAT_MS, SseStream } from '../sse.js';
import { jobParamsSchema } from './job-schemas.js';

export interface JobEventRouteDeps {
  jobs: Pick<JobQueue, 'get' | 'events'>;
}

/** `GET /v1/jobs/{id}/events`: a job's state, then its events, as Server-Sent Events. */
export const jobEventRoutes =
  ({ jobs }: JobEventRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // A stream may follow a job for hours; shutting down must not wait for it. Clients reconnect
    // (EventSource does by itself), to another replica if this one is going away.
    const streams = new Set<AbortController>();
    app.addHook('preClose', async () => {
      for (const stream of streams) stream.abort();
    });
    app.get(
      '/v1/jobs/:id/events',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary:
            'Follow a job (SSE): `job-state` with the job now, then `job-progress`, `job-failed` (a retry is due) and the last one, `job-completed`, `job-dead` or `job-cancelled`',
          tags: ['jobs'],
          params: jobParamsSchema,
          response: { 404: errorSchema },
        },
      },
      async (request, reply) => {
        // Checked before the stream opens, so another workspace's job is an ordinary JSON 404.
        const job = await requireJob(jobs, request.params.id, request.principal);
        const sse = new SseStream(reply);
        const gone = new AbortController();
        reply.raw.on('close', () => gone.abort());
        streams.add(gone);
        sse.send('job-state', job);
        const heartbeat = setInterval(() => sse.heartbeat(), SSE_HEARTBEAT_MS);
        try {
          for await (const event of jobs.events(job.id, { signal: gone.signal })) {
            sse.send(event.type, event);
          }
        } catch (error) {
          if (!gone.signal.aborted) {
            const body = isKeelError(error)
              ? errorBody(error.code, error.message, error.details)
              : errorBody('internal_error', 'Following the job failed', { requestId: request.id });
            request.log.warn({ code: body.error.code }, 'job event stream failed');
            sse.send('error', body);
          }
        } finally {
          clearInterval(heartbeat);
          streams.delete(gone);
          sse.end();
        }
        return reply;
      },
    );
  };
