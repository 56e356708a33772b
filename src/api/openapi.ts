import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteAccess } from './access.js';
import { errorSchema } from './schemas.js';

type Transform = NonNullable<FastifyDynamicSwaggerOptions['transform']>;
type TransformObject = NonNullable<FastifyDynamicSwaggerOptions['transformObject']>;
type Operation = {
  operationId?: string;
  security?: unknown[];
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
};

const errorJsonSchema = z.toJSONSchema(errorSchema, { target: 'openapi-3.0' });
const describedError = (description: string) => ({ ...errorJsonSchema, description });

/** Responses every route of an access kind can give, whether or not the route lists them. */
const AUTH_ERRORS = {
  401: describedError('No valid credential: sign in or send an API key'),
  403: describedError('The role, scope or workspace does not allow this'),
};
const RATE_LIMIT_ERROR = {
  429: describedError('A rate limit or quota refused the call; see Retry-After'),
};

/** Streaming operations: their 200 is also `text/event-stream`, with the events described. */
const EVENT_STREAMS: Record<string, string> = {
  'post /v1/chat':
    'With "stream": true: events `meta` ({traceId}), `delta` ({text}), `done` (the answer object) and `error` ({error}).',
  'post /v1/chat/completions':
    'With "stream": true: unnamed `chat.completion.chunk` events, the last one carrying `keel` (citations), then `data: [DONE]`.',
  'post /mcp':
    'A JSON-RPC response as JSON, or as an event stream of JSON-RPC messages when the client accepts one.',
  'get /v1/jobs/{id}/events':
    'Job progress events (`job-progress`, `job-completed`, `job-failed`) until the job settles.',
  'get /v1/realtime':
    'Events with ids: `job-updated` ({job}: first unless resuming, then on each state change), `job-progress` ({jobId, progress, message}), `message-appended` ({conversationId, messages}), `agent-updated` ({agentId, change, policyVersion, previousVersion, action, activatedAt}); `reset` ({reason}) when events missed are no longer kept; a comment line every 15 s.',
};

/** `GET /v1/kb/sources/:id/sync` → `getKbSourcesIdSync`: unique per method and path. */
function derivedOperationId(method: string, url: string): string {
  const words = url
    .replace(/^\/v1\//, '/')
    .split(/[/_.:{}-]+/)
    .filter(Boolean);
  return (
    method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')
  );
}

/**
 * The zod transform, plus what each route's access rule implies: its security requirement
 * (none for public routes; access tokens only where API keys are refused), its 401/403/429
 * responses, and an operationId when the route names none.
 */
export const openApiTransform: Transform = (input) => {
  const { schema, url } = jsonSchemaTransform(input) as {
    schema: Record<string, unknown>;
    url: string;
  };
  const method = [input.route.method].flat()[0] ?? 'get';
  const access = (input.route.config as { access?: RouteAccess } | undefined)?.access ?? {
    role: 'admin',
  };
  const response = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
  const add = (errors: Record<number, unknown>) => {
    for (const [status, body] of Object.entries(errors)) response[status] ??= body;
  };
  let security: Record<string, string[]>[];
  if ('public' in access) {
    security = [];
    if (access.rateLimit) add(RATE_LIMIT_ERROR);
  } else {
    security = access.session ? [{ accessToken: [] }] : [{ accessToken: [] }, { apiKey: [] }];
    add(AUTH_ERRORS);
    if (access.rateLimit || access.scope === 'chat') add(RATE_LIMIT_ERROR);
  }
  return {
    url,
    schema: {
      ...schema,
      operationId: (schema.operationId as string | undefined) ?? derivedOperationId(method, url),
      security,
      response,
    },
  };
};

/** How callers authenticate: both are sent as `Authorization: Bearer …`. */
export const securitySchemes = {
  accessToken: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A 15-minute access token from POST /v1/auth/login or /v1/auth/refresh',
  },
  apiKey: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'keel_<prefix>_<secret>',
    description: 'A scoped API key (POST /v1/api-keys or `keel apikey create`)',
  },
};

/** Streaming operations gain the `text/event-stream` form of their 200 response. */
export const openApiTransformObject: TransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
  const document = documentObject.openapiObject as {
    paths?: Record<string, Record<string, Operation>>;
  };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      const stream = EVENT_STREAMS[`${method} ${path}`];
      if (!stream) continue;
      const ok = operation.responses?.['200'];
      operation.responses = {
        ...operation.responses,
        200: {
          description: `${ok?.description ?? 'Success'}. ${stream}`,
          content: {
            ...ok?.content,
            'text/event-stream': { schema: { type: 'string', description: stream } },
          },
        },
      };
    }
  }
  return documentObject.openapiObject;
};
