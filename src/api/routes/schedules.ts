import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../auth/principal.js';
import { ConflictError } from '../../errors.js';
import { QUEUE_NAMES } from '../../jobs/contracts.js';
import { availableQueue } from '../../jobs/processors.js';
import {
  type JobSchedule,
  type JobSchedules,
  SCHEDULE_ID,
  scheduleNotFound,
  scheduleWorkspace,
} from '../../jobs/schedules.js';
import { assertMayManage, authorizeEnqueue } from '../job-access.js';
import { errorSchema } from '../schemas.js';

const scheduleSchema = z
  .object({
    id: z.string(),
    queue: z.enum(QUEUE_NAMES),
    payload: z.record(z.string(), z.unknown()),
    cron: z.string(),
    timezone: z.string(),
    paused: z.boolean(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .describe('A recurring job: one job of `queue` with `payload` per tick of `cron` in `timezone`');

const newScheduleSchema = z.object({
  id: z
    .string()
    .regex(SCHEDULE_ID, '1-64 letters, digits, "-" or "_", starting with a letter or digit'),
  /** Checked against the queues that have a processor: 400 `queue_not_available`. */
  queue: z.string().min(1).max(64),
  payload: z.record(z.string(), z.unknown()),
  cron: z
    .string()
    .min(1)
    .max(200)
    .describe('Five fields (minute hour day month weekday), six with seconds first, or @daily…'),
  timezone: z.string().min(1).max(64).optional().describe('IANA time zone; UTC by default'),
});

const paramsSchema = z.object({ id: z.string().min(1).max(64) });
const view = (schedule: JobSchedule) => schedule as z.infer<typeof scheduleSchema>;
const tags = ['schedules'];

const canSee = (principal: Principal, schedule: JobSchedule) =>
  principal.role === 'admin' || scheduleWorkspace(schedule) === principal.workspaceId;

/** A schedule the principal may see; another workspace's is "not found". */
async function requireSchedule(schedules: JobSchedules, id: string, principal: Principal) {
  const schedule = await schedules.get(id);
  if (!schedule || !canSee(principal, schedule)) throw scheduleNotFound(id);
  return schedule;
}

export interface ScheduleRouteDeps {
  schedules: JobSchedules;
}

/**
 * `/v1/schedules`: recurring jobs (a forecast every hour, a sync every night). Creating or
 * changing one takes a manager and the queue's own rights (as retrying a job does); reading them
 * is anyone's in the workspace. The payload's workspace is the caller's, as for `POST /v1/jobs`.
 */
export const scheduleRoutes =
  ({ schedules }: ScheduleRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/schedules',
      {
        config: { access: { role: 'manager' } },
        schema: {
          summary:
            'Create a schedule, or replace the one with the same id (a paused one stays paused)',
          tags,
          body: newScheduleSchema,
          response: {
            201: scheduleSchema,
            400: errorSchema,
            403: errorSchema,
            409: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { principal } = request;
        const queue = availableQueue(request.body.queue);
        assertMayManage(principal, queue);
        const payload = authorizeEnqueue(principal, queue, request.body.payload);
        const existing = await schedules.get(request.body.id);
        if (existing && !canSee(principal, existing)) {
          throw new ConflictError(
            'schedule_id_conflict',
            `Schedule id ${request.body.id} is taken; choose another`,
            { scheduleId: request.body.id },
          );
        }
        const schedule = await schedules.upsert({
          id: request.body.id,
          queue,
          payload: payload as never,
          cron: request.body.cron,
          ...(request.body.timezone !== undefined && { timezone: request.body.timezone }),
        });
        return reply
          .status(201)
          .header('location', `/v1/schedules/${encodeURIComponent(schedule.id)}`)
          .send(view(schedule));
      },
    );

    app.get(
      '/v1/schedules',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: "Schedules by id: your workspace's, or every one for admins",
          tags,
          response: { 200: z.object({ schedules: z.array(scheduleSchema) }) },
        },
      },
      async (request) => {
        const { principal } = request;
        const list = await schedules.list(
          principal.role === 'admin' ? {} : { workspaceId: principal.workspaceId },
        );
        return { schedules: list.map(view) };
      },
    );

    app.get(
      '/v1/schedules/:id',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: 'One schedule: its expression, zone, state and next tick',
          tags,
          params: paramsSchema,
          response: { 200: scheduleSchema, 404: errorSchema },
        },
      },
      async (request) =>
        view(await requireSchedule(schedules, request.params.id, request.principal)),
    );

    for (const action of ['pause', 'resume'] as const) {
      app.post(
        `/v1/schedules/:id/${action}`,
        {
          config: { access: { role: 'manager' } },
          schema: {
            summary:
              action === 'pause'
                ? 'Pause a schedule: no more ticks until it is resumed'
                : 'Resume a paused schedule from its next tick',
            tags,
            params: paramsSchema,
            response: { 200: scheduleSchema, 403: errorSchema, 404: errorSchema },
          },
        },
        async (request) => {
          const schedule = await requireSchedule(schedules, request.params.id, request.principal);
          assertMayManage(request.principal, schedule.queue);
          return view(await schedules[action](schedule.id));
        },
      );
    }

    app.delete(
      '/v1/schedules/:id',
      {
        config: { access: { role: 'manager' } },
        schema: {
          summary: 'Delete a schedule; jobs it already enqueued are left alone',
          tags,
          params: paramsSchema,
          response: { 204: z.null(), 403: errorSchema, 404: errorSchema },
        },
      },
      async (request, reply) => {
        const schedule = await requireSchedule(schedules, request.params.id, request.principal);
        assertMayManage(request.principal, schedule.queue);
        await schedules.delete(schedule.id);
        return reply.status(204).send(null);
      },
    );
  };
