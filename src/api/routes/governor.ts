import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Keel } from '../../keel.js';
import { decisionSchema, errorSchema } from '../schemas.js';

/** `POST /v1/governor/check`: the input policy's decision on a text, without calling a model. */
export const governorRoutes =
  (keel: Keel): FastifyPluginAsyncZod =>
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
            200: z.object({
              decision: decisionSchema,
              redactedText: z.string(),
              policy: z.object({ id: z.string(), version: z.string() }),
              steps: z.array(
                z.object({ id: z.string(), decision: z.string(), reasons: z.array(z.string()) }),
              ),
            }),
            400: errorSchema,
            413: errorSchema,
          },
        },
      },
      async (request) => keel.answers.check(request.body.text),
    );
  };
