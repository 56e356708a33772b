import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../auth/principal.js';
import { NotFoundError } from '../../errors.js';
import type { MemoryScope, MemoryStore } from '../../store/memory-store.js';
import { errorSchema } from '../schemas.js';

const memorySchema = z.object({
  id: z.string(),
  kind: z.enum(['preference', 'fact', 'instruction']),
  text: z.string(),
  agent: z.string().describe('The agent whose conversation it was learned in'),
  conversationId: z.string(),
  createdAt: z.string(),
});
const settingsSchema = z.object({
  enabled: z
    .boolean()
    .describe('Whether agents remember what you tell them and use it in later answers'),
});
const idParams = z.object({ id: z.string().min(1).max(64) });
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
// A person's own memories: an API key acts for an integration and has none.
const access = { access: { role: 'user' as const, session: true as const } };

/** Memories are the caller's own in their workspace; nobody else's is ever reachable. */
const scopeOf = (principal: Principal): MemoryScope => ({
  workspaceId: principal.workspaceId,
  userId: principal.userId,
});

export interface MemoryRouteDeps {
  memories: MemoryStore;
}

/** `/v1/memories…`: what agents remember of you, to read, delete, or switch off. */
export const memoryRoutes =
  ({ memories }: MemoryRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/memories',
      {
        config: access,
        schema: {
          summary: 'What agents remember of you, newest first',
          tags: ['memories'],
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: {
            200: z.object({ memories: z.array(memorySchema), enabled: z.boolean() }),
            ...errors,
          },
        },
      },
      async (request) => {
        const scope = scopeOf(request.principal);
        const rows = await memories.list(scope, { limit: request.query.limit });
        return {
          memories: rows.map((memory) => ({
            id: memory.id,
            kind: memory.kind,
            text: memory.text,
            agent: memory.agentId,
            conversationId: memory.conversationId,
            createdAt: memory.createdAt,
          })),
          enabled: await memories.enabled(scope),
        };
      },
    );

    app.get(
      '/v1/memories/settings',
      {
        config: access,
        schema: {
          summary: 'Whether memory is on for you',
          tags: ['memories'],
          response: { 200: settingsSchema, ...errors },
        },
      },
      async (request) => ({ enabled: await memories.enabled(scopeOf(request.principal)) }),
    );

    app.put(
      '/v1/memories/settings',
      {
        config: access,
        schema: {
          summary: 'Turn memory on or off for yourself',
          description:
            'Off: no answer uses your memories and nothing new is remembered; what is stored stays until you delete it.',
          tags: ['memories'],
          body: settingsSchema.strict(),
          response: { 200: settingsSchema, ...errors },
        },
      },
      async (request) => {
        await memories.setEnabled(scopeOf(request.principal), request.body.enabled);
        return { enabled: request.body.enabled };
      },
    );

    app.delete(
      '/v1/memories/:id',
      {
        config: access,
        schema: {
          summary: 'Forget one memory',
          description: 'It is never used again, and the same statement is not learned again.',
          tags: ['memories'],
          params: idParams,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        if (!(await memories.forget(scopeOf(request.principal), request.params.id)))
          throw new NotFoundError('memory_not_found', `No memory ${request.params.id}`);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/v1/memories',
      {
        config: access,
        schema: {
          summary: 'Forget everything agents remember of you',
          tags: ['memories'],
          response: { 200: z.object({ deleted: z.number().int() }), ...errors },
        },
      },
      async (request) => ({ deleted: await memories.forgetAll(scopeOf(request.principal)) }),
    );
  };
