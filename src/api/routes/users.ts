import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ForbiddenError } from '../../auth/errors.js';
import { assertRole } from '../../auth/principal.js';
import type { AccountService } from '../../auth/accounts.js';
import { ConflictError } from '../../errors.js';
import type { AccountStore } from '../../store/account-store.js';
import type { RecordAdminAction } from '../admin-audit.js';
import { SMALL_BODY, errorSchema } from '../schemas.js';
import { userSchema } from './auth.js';

const roleSchema = z.enum(['admin', 'manager', 'user']);
const workspaceSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });
const errors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
};

export interface UserRouteDeps {
  accounts: Pick<AccountService, 'createUser' | 'visibleUser' | 'setRole' | 'setDisabled'>;
  users: Pick<AccountStore, 'listUsers' | 'listWorkspaces' | 'createWorkspace'>;
  recordAdminAction: RecordAdminAction;
}

/** Users and workspaces: managers run their workspace, admins everything. */
export const userRoutes =
  ({ accounts, users, recordAdminAction }: UserRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/users',
      {
        config: { access: { role: 'manager', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Users of your workspace (admins: all)',
          tags: ['users'],
          response: { 200: z.object({ users: z.array(userSchema) }), ...errors },
        },
      },
      async (request) => {
        const { principal } = request;
        return {
          users: await users.listUsers(
            principal.role === 'admin' ? undefined : principal.workspaceId,
          ),
        };
      },
    );

    app.post(
      '/v1/users',
      {
        config: { access: { role: 'manager', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Create a user (managers: in their workspace, never an admin)',
          tags: ['users'],
          body: z
            .object({
              email: z.string().min(3).max(320),
              password: z.string().min(1).max(1024),
              role: roleSchema.default('user'),
              workspaceId: z.string().min(1).max(64).optional(),
            })
            .strict(),
          response: { 201: userSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { principal } = request;
        const workspaceId = request.body.workspaceId ?? principal.workspaceId;
        if (principal.role !== 'admin') {
          if (workspaceId !== principal.workspaceId)
            throw new ForbiddenError(
              'workspace_forbidden',
              'Managers create users in their own workspace only',
            );
          if (request.body.role === 'admin')
            throw new ForbiddenError('role_required', 'Only an admin can create an admin');
        }
        const user = await accounts.createUser({ ...request.body, workspaceId });
        await recordAdminAction(request, {
          action: 'user.create',
          target: `user:${user.id}`,
          workspaceId,
          changes: [`email: ${user.email}`, `role: ${user.role}`],
        });
        return reply.status(201).send(user);
      },
    );

    app.patch(
      '/v1/users/:id',
      {
        config: { access: { role: 'manager', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Change a user’s role, or disable (ending every session and key) / enable them',
          tags: ['users'],
          params: z.object({ id: z.string().min(1).max(64) }),
          body: z
            .object({ role: roleSchema.optional(), disabled: z.boolean().optional() })
            .strict(),
          response: { 200: userSchema, ...errors },
        },
      },
      async (request) => {
        const { principal } = request;
        let user = await accounts.visibleUser(principal, request.params.id);
        if (request.body.role) user = await accounts.setRole(principal, user.id, request.body.role);
        if (request.body.disabled !== undefined)
          user = await accounts.setDisabled(principal, user.id, request.body.disabled);
        await recordAdminAction(request, {
          action: 'user.update',
          target: `user:${user.id}`,
          workspaceId: user.workspaceId,
          changes: Object.entries(request.body).map(([name, value]) => `${name}: ${value}`),
        });
        return user;
      },
    );

    app.get(
      '/v1/workspaces',
      {
        config: { access: { role: 'admin', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Every workspace',
          tags: ['users'],
          response: { 200: z.object({ workspaces: z.array(workspaceSchema) }), ...errors },
        },
      },
      async () => ({ workspaces: await users.listWorkspaces() }),
    );

    app.post(
      '/v1/workspaces',
      {
        config: { access: { role: 'admin', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Create a workspace',
          tags: ['users'],
          body: z.object({ name: z.string().min(1).max(100) }).strict(),
          response: { 201: workspaceSchema, ...errors },
        },
      },
      async (request, reply) => {
        assertRole(request.principal, 'admin');
        const taken = (await users.listWorkspaces()).some(
          (workspace) => workspace.name === request.body.name,
        );
        if (taken)
          throw new ConflictError(
            'workspace_exists',
            `A workspace named "${request.body.name}" exists`,
          );
        const workspace = await users.createWorkspace(request.body.name);
        await recordAdminAction(request, {
          action: 'workspace.create',
          target: `workspace:${workspace.id}`,
          workspaceId: workspace.id,
          changes: [`name: ${workspace.name}`],
        });
        return reply.status(201).send(workspace);
      },
    );
  };
