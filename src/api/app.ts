import Fastify, { LogController } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import helmet from 'helmet';
import {
  type ZodTypeProvider,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Keel } from '../keel.js';
import { errorBody, handleError } from './error-handler.js';
import { contentSecurityPolicy } from './web-app.js';
import { routePlugins } from './route-plugins.js';
import { accessHook } from './access.js';
import { openApiTransform, openApiTransformObject, securitySchemes } from './openapi.js';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import { requestIdOf, traceRequests } from '../telemetry/http-tracing.js';

/**
 * CORS from the allow-list only. Credentials (the refresh cookie) are allowed for listed origins;
 * `*` is served without credentials, because a wildcard with credentials would let any site act
 * as the signed-in user.
 */
function trustProxyOption(setting: boolean | number | string[]) {
  if (typeof setting !== 'number') return setting;
  return (_address: string, hop: number) => hop < setting;
}

// @fastify/cors allows only GET, HEAD and POST by default; the web app also revokes and edits.
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'];

function corsOptions(origins: string[]) {
  if (origins.length === 0) return { origin: false };
  if (origins.includes('*')) return { origin: '*', credentials: false, methods: CORS_METHODS };
  return { origin: origins, credentials: true, methods: CORS_METHODS };
}

/**
 * The public HTTP API on one Fastify instance. Tests drive it with `app.inject`; `keel serve`
 * listens on it.
 *
 * @example
 *   const app = await buildApp(keel);
 *   const response = await app.inject({ method: 'GET', url: '/health/live' });
 */
export async function buildApp(keel: Keel) {
  const app = Fastify({
    loggerInstance: keel.logger,
    bodyLimit: keel.config.server.maxBodyBytes,
    // Without it every client behind a proxy shares the proxy's address in per-IP limits.
    trustProxy: trustProxyOption(keel.config.server.trustProxy),
    // A caller's own id is kept (for correlation) when it is a sane token; otherwise a new one.
    genReqId: requestIdOf,
    // Fastify's own request lines log the URL (query text included); ours below do not.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  traceRequests(app);
  // JSON only: Fastify also parses text/plain by default, which no route here accepts.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send(errorBody('not_found', `No route ${request.method} ${request.url.split('?')[0]}`));
  });

  // Helmet's security headers are the same on every response, so its middleware is built once
  // here: the @fastify/helmet plugin built it anew (parsing the CSP) for every request.
  const securityHeaders = helmet({
    contentSecurityPolicy: contentSecurityPolicy(keel.config.web.apiOrigin),
  });
  app.addHook('onRequest', (request, reply, done) =>
    securityHeaders(request.raw, reply.raw, () => done()),
  );
  await app.register(cors, corsOptions(keel.config.server.corsOrigins));
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Keel API',
        version: '0.1.0',
        description: 'Governed answers with citations over a versioned knowledge base.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      servers: [{ url: '/', description: 'The Keel API that served this document' }],
      components: { securitySchemes },
    },
    transform: openApiTransform,
    transformObject: openApiTransformObject,
  });

  await app.register(cookie);
  // Registered once for every multipart route (knowledge uploads, vision images); each route
  // reads its own parts, and these limits bound any one file and the number of parts.
  await app.register(multipart, {
    limits: { fileSize: keel.config.server.uploadMaxFileBytes, files: 100, parts: 120, fields: 10 },
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook(
    'onRequest',
    accessHook({
      authEnabled: keel.config.auth.enabled,
      limits: keel.config.limits,
      apiKeys: keel.apiKeys,
      accounts: keel.accounts,
      limiter: keel.limiter,
    }),
  );
  // One log line per request: route, status and time; never the body or query text.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    keel.metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    keel.metrics.httpDuration.observe({ method: request.method, route }, seconds);
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });

  for (const plugin of routePlugins(keel)) await app.register(plugin);
  app.get(
    '/v1/openapi.json',
    { config: { access: { public: true } }, schema: { hide: true } },
    async () => app.swagger(),
  );

  await app.ready();
  return app;
}

export type KeelApp = Awaited<ReturnType<typeof buildApp>>;
