import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../../auth/actor.js';
import type { PolicyService } from '../../governor/policy-service.js';
import type { RecordAdminAction } from '../admin-audit.js';
import { errorSchema } from '../schemas.js';

const activationSchema = z.object({
  id: z.number().int(),
  workspaceId: z.string(),
  version: z.string(),
  previousVersion: z.string().nullable(),
  actor: z.string(),
  reason: z.string(),
  activatedAt: z.string(),
});

const changeBody = z
  .object({ version: z.string().min(4).max(64).optional(), reason: z.string().max(500).optional() })
  .strict();

/** Policy changes go into the audit chain too, beside the activation history. */
async function recordPolicyChange(
  recordAdminAction: RecordAdminAction,
  request: FastifyRequest,
  action: 'policy.activate' | 'policy.rollback',
  activation: z.infer<typeof activationSchema>,
): Promise<void> {
  await recordAdminAction(request, {
    action,
    target: `policy:${activation.version}`,
    workspaceId: activation.workspaceId,
    changes: [`from: ${activation.previousVersion ?? '-'}`, `reason: ${activation.reason}`],
  });
}

export interface PolicyRouteDeps {
  policies: Pick<PolicyService, 'current' | 'list' | 'activate' | 'rollback'>;
  recordAdminAction: RecordAdminAction;
}

/** Policy versions, the activation history, and activate / roll back. */
export const policyRoutes =
  ({ policies, recordAdminAction }: PolicyRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/policies',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary:
            'Known policy versions (the active one marked), agents, and the activation history',
          tags: ['policies'],
          response: {
            200: z.object({
              active: z.object({
                id: z.string(),
                version: z.string(),
                agents: z.array(
                  z.object({ id: z.string(), description: z.string(), default: z.boolean() }),
                ),
              }),
              versions: z.array(
                z.object({ version: z.string(), createdAt: z.string(), active: z.boolean() }),
              ),
              activations: z.array(activationSchema),
            }),
          },
        },
      },
      async () => {
        const bundle = await policies.current();
        const { versions, activations } = await policies.list();
        return {
          active: {
            id: bundle.policy.id,
            version: bundle.version,
            agents: bundle.agents.map((agent) => ({
              id: agent.id,
              description: agent.description,
              default: agent.default,
            })),
          },
          versions,
          activations,
        };
      },
    );

    app.post(
      '/v1/policies/activate',
      {
        config: { access: { role: 'admin', scope: 'admin' } },
        schema: {
          summary: 'Activate a stored version, or (without one) the policy files on disk',
          tags: ['policies'],
          body: changeBody,
          response: { 200: activationSchema, 400: errorSchema, 404: errorSchema },
        },
      },
      async (request) => {
        const activation = await policies.activate(request.body.version, {
          actor: actorOf(request.principal),
          reason: request.body.reason ?? 'activated via API',
        });
        await recordPolicyChange(recordAdminAction, request, 'policy.activate', activation);
        return activation;
      },
    );

    app.post(
      '/v1/policies/rollback',
      {
        config: { access: { role: 'admin', scope: 'admin' } },
        schema: {
          summary: 'Re-activate the version that ran before the current one (or `version`)',
          tags: ['policies'],
          body: changeBody,
          response: { 200: activationSchema, 400: errorSchema, 404: errorSchema },
        },
      },
      async (request) => {
        const activation = await policies.rollback({
          actor: actorOf(request.principal),
          reason: request.body.reason ?? 'rolled back via API',
          ...(request.body.version && { to: request.body.version }),
        });
        await recordPolicyChange(recordAdminAction, request, 'policy.rollback', activation);
        return activation;
      },
    );
  };
