import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../auth/principal.js';
import { NotFoundError } from '../../errors.js';
import type { ConversationStore } from '../../store/conversation-store.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { errorSchema } from '../schemas.js';

const conversationSchema = z.object({
  id: z.string(),
  title: z.string(),
  agent: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messageCount: z.number().int(),
});
const messageSchema = z.object({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  citations: z.array(z.unknown()),
  decision: z.object({ status: z.string(), reasons: z.array(z.string()) }).nullable(),
  agent: z.string().nullable(),
  traceId: z.string().nullable(),
  createdAt: z.string(),
});
const cursorSchema = z.object({ updatedAt: z.string(), id: z.string() });
const idParams = z.object({ id: z.string().min(1).max(64) });
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
// Signed-in people only: an API key acts for an integration and keeps no history.
const access = { access: { role: 'user' as const, session: true as const } };

function view(conversation: z.infer<typeof conversationSchema>) {
  const { id, title, agent, createdAt, updatedAt, messageCount } = conversation;
  return { id, title, agent, createdAt, updatedAt, messageCount };
}

function notFound(id: string): NotFoundError {
  return new NotFoundError('conversation_not_found', `No conversation ${id}`);
}

/** The owner of a history: the signed-in user (with sign-in off, the local user). */
function ownerOf(principal: Principal): string {
  return principal.userId;
}

export interface ConversationRouteDeps {
  conversations: ConversationStore;
}

/** `GET|DELETE /v1/conversations…`: your own chat history; anyone else's is 404. */
export const conversationRoutes =
  ({ conversations }: ConversationRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/conversations',
      {
        config: access,
        schema: {
          summary: 'Your conversations, most recently active first',
          tags: ['conversations'],
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(100).default(20),
            cursor: z.string().min(1).max(500).optional(),
          }),
          response: {
            200: z.object({
              conversations: z.array(conversationSchema),
              nextCursor: z.string().nullable(),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const after = cursor ? decodeCursor(cursor, cursorSchema) : undefined;
        // One extra row tells whether another page exists without a count query.
        const rows = await conversations.list(ownerOf(request.principal), {
          limit: limit + 1,
          ...(after && { after }),
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          conversations: page.map(view),
          nextCursor:
            rows.length > limit && last
              ? encodeCursor({ updatedAt: last.updatedAt, id: last.id })
              : null,
        };
      },
    );

    app.get(
      '/v1/conversations/:id',
      {
        config: access,
        schema: {
          summary: 'One of your conversations with its messages, oldest first',
          tags: ['conversations'],
          params: idParams,
          response: {
            200: z.object({ conversation: conversationSchema, messages: z.array(messageSchema) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const owner = ownerOf(request.principal);
        const conversation = await conversations.get(request.params.id, owner);
        if (!conversation) throw notFound(request.params.id);
        const messages = await conversations.messages(conversation.id, owner);
        return { conversation: view(conversation), messages };
      },
    );

    app.delete(
      '/v1/conversations/:id',
      {
        config: access,
        schema: {
          summary: 'Delete one of your conversations and its messages',
          tags: ['conversations'],
          params: idParams,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const deleted = await conversations.delete(request.params.id, ownerOf(request.principal));
        if (!deleted) throw notFound(request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
