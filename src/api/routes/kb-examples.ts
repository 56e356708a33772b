import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { exampleQuestions } from '../../kb/example-questions.js';
import type { KnowledgeStore } from '../../store/store.js';

const examplesSchema = z.object({
  questions: z.array(z.object({ question: z.string(), path: z.string(), heading: z.string() })),
});

export interface KbExampleRouteDeps {
  knowledge: KnowledgeStore;
}

/** `GET /v1/kb/examples`: questions the workspace's knowledge answers, for an empty chat. */
export const kbExampleRoutes =
  ({ knowledge }: KbExampleRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/kb/examples',
      {
        config: { access: { role: 'user', scope: 'kb:read' } },
        schema: {
          summary:
            "A few example questions drawn from the headings of the workspace's indexed documents",
          tags: ['knowledge'],
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(12).default(4) }),
          response: { 200: examplesSchema },
        },
      },
      async (request) => ({
        questions: await exampleQuestions(
          knowledge,
          request.principal.workspaceId,
          request.query.limit,
        ),
      }),
    );
  };
