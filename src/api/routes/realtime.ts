import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RealtimeDelivery, RealtimeHub } from '../../events/realtime-hub.js';
import { isEventId } from '../../events/realtime.js';
import { TOPIC_PATTERN, type TopicAccessDeps, authorizeTopic } from '../realtime-topics.js';
import { errorSchema } from '../schemas.js';
import { SSE_HEARTBEAT_MS, SseStream } from '../sse.js';

const eventId = z
  .string()
  .refine(isEventId, 'an event id as the stream sent it: <milliseconds>-<sequence>');

const querySchema = z.object({
  topic: z
    .string()
    .regex(TOPIC_PATTERN, 'job:<id>, conversation:<id> or agent:<id>')
    .describe('What to follow: job:<id>, conversation:<id> or agent:<id>'),
  lastEventId: eventId
    .optional()
    .describe('Resume after this event, for clients that cannot send the Last-Event-ID header'),
});

const headersSchema = z.object({
  'last-event-id': eventId.optional().describe('Resume after this event (EventSource sends it)'),
});

export interface RealtimeRouteDeps extends TopicAccessDeps {
  realtime: Pick<RealtimeHub, 'follow'>;
}

/**
 * `GET /v1/realtime?topic=…`: one Server-Sent Events channel for updates of a job, a conversation
 * or an agent, on any replica, resumable with `Last-Event-ID`.
 */
export const realtimeRoutes =
  (deps: RealtimeRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Shutting down must not wait for streams that may stay open for hours; clients reconnect
    // (to another replica) and resume with Last-Event-ID.
    const streams = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const end of streams) end();
    });
    app.get(
      '/v1/realtime',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary:
            'Follow a job, a conversation or an agent (SSE); reconnect with Last-Event-ID to get exactly the events missed (kept 15 minutes, at most 500 per topic)',
          tags: ['realtime'],
          querystring: querySchema,
          headers: headersSchema,
          response: { 400: errorSchema, 403: errorSchema, 404: errorSchema, 503: errorSchema },
        },
      },
      async (request, reply) => {
        const lastEventId = request.headers['last-event-id'] ?? request.query.lastEventId;
        // Checked before the stream opens, so a refusal is an ordinary JSON 4xx.
        const { topic, snapshot } = await authorizeTopic(
          deps,
          request.query.topic,
          request.principal,
        );
        const sse = new SseStream(reply);
        // Replayed events arrive while `follow` starts; they wait for the snapshot to go first.
        let waiting: RealtimeDelivery[] | undefined = [];
        const send = (delivery: RealtimeDelivery) => {
          if (delivery.kind === 'reset') sse.send('reset', { reason: delivery.reason });
          else sse.send(delivery.event.type, delivery.event.data, delivery.event.id);
        };
        const follower = await deps.realtime.follow(topic, { lastEventId }, (delivery) =>
          waiting ? waiting.push(delivery) : send(delivery),
        );
        let end = () => {};
        const closed = new Promise<void>((resolve) => (end = resolve));
        reply.raw.on('close', end);
        streams.add(end);
        const heartbeat = setInterval(() => {
          sse.heartbeat();
          void follower.poll();
        }, SSE_HEARTBEAT_MS);
        try {
          const first = lastEventId === undefined ? await snapshot() : undefined;
          if (first) sse.send(first.type, first.data);
          else sse.heartbeat();
          for (const delivery of waiting) send(delivery);
          waiting = undefined;
          await closed;
        } finally {
          clearInterval(heartbeat);
          streams.delete(end);
          await follower.stop();
          sse.end();
        }
        return reply;
      },
    );
  };
