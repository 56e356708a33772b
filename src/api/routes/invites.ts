import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { InviteService } from '../../auth/invites.js';
import type { RecordAdminAction } from '../admin-audit.js';
import { SMALL_BODY, errorSchema } from '../schemas.js';
import { type RefreshCookie, setRefreshCookie, tokenPairSchema, userSchema } from './auth.js';

const errors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  429: errorSchema,
};

export interface InviteRouteDeps {
  invites: Pick<InviteService, 'invite' | 'accept'>;
  refreshCookie: RefreshCookie;
  recordAdminAction: RecordAdminAction;
}

/** Invitations: a manager or admin invites by e-mail; the invited person sets a password. */
export const inviteRoutes =
  ({ invites, refreshCookie, recordAdminAction }: InviteRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/users/invite',
      {
        config: { access: { role: 'manager', scope: 'admin' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary:
            'Invite someone to your workspace: creates the account and a single-use token (7 days)',
          description:
            'Hand the token over yourself (Keel sends no e-mail); it is shown once and stored hashed.',
          tags: ['users'],
          body: z
            .object({
              email: z.string().min(3).max(320),
              role: z.enum(['admin', 'manager', 'user']).default('user'),
            })
            .strict(),
          response: {
            201: z.object({ user: userSchema, inviteToken: z.string(), expiresAt: z.string() }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const invited = await invites.invite(request.principal, request.body);
        await recordAdminAction(request, {
          action: 'user.invite',
          target: `user:${invited.user.id}`,
          workspaceId: invited.user.workspaceId,
          changes: [`email: ${invited.user.email}`, `role: ${invited.user.role}`],
        });
        return reply.status(201).send(invited);
      },
    );

    app.post(
      '/v1/auth/accept-invite',
      {
        config: { access: { public: true, rateLimit: 'auth' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Accept an invitation: set your password and sign in (sets the refresh cookie)',
          tags: ['auth'],
          body: z
            .object({ token: z.string().min(10).max(200), password: z.string().min(1).max(1024) })
            .strict(),
          response: { 200: tokenPairSchema, ...errors },
        },
      },
      async (request, reply) => {
        const tokens = await invites.accept(request.body.token, request.body.password);
        setRefreshCookie(refreshCookie, reply, tokens);
        return tokens;
      },
    );
  };
