import Fastify from 'fastify';
import {
  type FastifyPluginAsyncZod,
  type ZodTypeProvider,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { accessHook } from '../../src/api/access.js';
import { handleError } from '../../src/api/error-handler.js';
import { AuthenticationError } from '../../src/auth/errors.js';
import type { Principal } from '../../src/auth/principal.js';
import { createMemoryRateLimiter } from '../../src/limits/rate-limiter-memory.js';

/**
 * One route plugin on its own app, with the API's validation, error bodies and access check, for
 * tests that build only the ports the plugin takes. Sign-in is on: `Bearer <name>` sends as
 * `principals[name]`, any other credential is 401. Rate limits are out of the way.
 *
 * @example
 *   const app = await createRouteApp(seriesRoutes({ blobs }), { alice });
 *   await app.inject({ method: 'GET', url: '/v1/series', headers: { authorization: 'Bearer alice' } });
 */
export async function createRouteApp(
  plugin: FastifyPluginAsyncZod,
  principals: Record<string, Principal>,
) {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.addHook(
    'onRequest',
    accessHook({
      authEnabled: true,
      limits: { authPerMinute: 10_000, chatPerMinute: 10_000, searchPerMinute: 10_000 },
      apiKeys: {
        looksLikeKey: () => false,
        authenticate: () => Promise.reject(new Error('no API keys here')),
      },
      accounts: {
        principalFromAccessToken: async (token) => {
          const principal = principals[token];
          if (!principal) throw new AuthenticationError('invalid_token', 'Unknown test token');
          return principal;
        },
      },
      limiter: createMemoryRateLimiter(),
    }),
  );
  await app.register(plugin);
  await app.ready();
  return app;
}
