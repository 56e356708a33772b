import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Answerer } from '../../governor/answerer.js';
import { inputCheckSchema } from '../../governor/answer-schema.js';
import { errorSchema } from '../schemas.js';

export interface GovernorRouteDeps {
  answers: Pick<Answerer, 'check'>;
}

/** `POST /v1/governor/check`: the input policy's decision on a text, without calling a model. */
export const governorRoutes =
  ({ answers }: GovernorRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/governor/check',
      {
        config: { access: { role: 'user', scope: 'chat' } },
        schema: {
          summary: 'Dry-run the input policy on a text',
          tags: ['governor'],
          body: z.object({ text: z.string() }).strict(),
          response: {
            200: inputCheckSchema,
            400: errorSchema,
            413: errorSchema,
          },
        },
      },
      async (request) => answers.check(request.body.text),
    );
  };
