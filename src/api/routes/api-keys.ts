import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiKeyScopesSchema } from '../../auth/api-key-format.js';
import type { ApiKeyService } from '../../auth/api-keys.js';
import type { RecordAdminAction } from '../admin-audit.js';
import { SMALL_BODY, errorSchema } from '../schemas.js';

const apiKeySchema = z.object({
  id: z.string(),
  userId: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
});

export interface ApiKeyRouteDeps {
  apiKeys: Pick<ApiKeyService, 'create' | 'list' | 'revoke'>;
  recordAdminAction: RecordAdminAction;
}

/** Scoped API keys: created (shown once), listed, revoked. */
export const apiKeyRoutes =
  ({ apiKeys, recordAdminAction }: ApiKeyRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/api-keys',
      {
        config: { access: { role: 'user' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Create an API key for yourself; the key is in this response only',
          tags: ['api-keys'],
          body: z
            .object({
              name: z.string().min(1).max(100),
              scopes: apiKeyScopesSchema,
              expiresAt: z.iso.datetime({ offset: true }).optional(),
            })
            .strict(),
          response: {
            201: z.object({ key: z.string(), apiKey: apiKeySchema }),
            400: errorSchema,
            401: errorSchema,
            403: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { key, record } = await apiKeys.create(request.principal, request.body);
        await recordAdminAction(request, {
          action: 'api-key.create',
          target: `api-key:${record.id}`,
          workspaceId: record.workspaceId,
          changes: [`name: ${record.name}`, `scopes: ${record.scopes.join(' ')}`],
        });
        return reply.status(201).send({ key, apiKey: record });
      },
    );

    // Listing and revoking keys is account administration: a session may, a key needs `admin`
    // (otherwise a leaked read-only key could revoke every key its owner can see).
    app.get(
      '/v1/api-keys',
      {
        config: { access: { role: 'user', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Your API keys (managers: the workspace’s; admins: all), without secrets',
          tags: ['api-keys'],
          response: {
            200: z.object({ apiKeys: z.array(apiKeySchema) }),
            401: errorSchema,
            403: errorSchema,
          },
        },
      },
      async (request) => ({ apiKeys: await apiKeys.list(request.principal) }),
    );

    app.delete(
      '/v1/api-keys/:id',
      {
        config: { access: { role: 'user', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Revoke an API key; it stops working at once',
          tags: ['api-keys'],
          params: z.object({ id: z.string().min(1).max(64) }),
          response: { 200: apiKeySchema, 401: errorSchema, 403: errorSchema, 404: errorSchema },
        },
      },
      async (request) => {
        const revoked = await apiKeys.revoke(request.principal, request.params.id);
        await recordAdminAction(request, {
          action: 'api-key.revoke',
          target: `api-key:${revoked.id}`,
          workspaceId: revoked.workspaceId,
        });
        return revoked;
      },
    );
  };
