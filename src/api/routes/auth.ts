import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuthenticationError } from '../../auth/errors.js';
import type { TokenPair } from '../../auth/accounts.js';
import type { AccountService } from '../../auth/accounts.js';
import type { LoginGuard } from '../../limits/login-guard.js';
import type { AccountStore } from '../../store/account-store.js';
import { RateLimitedError } from '../../limits/errors.js';
import { SMALL_BODY, errorSchema } from '../schemas.js';

const REFRESH_COOKIE = 'keel_refresh';
const credentials = z
  .object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) })
  .strict();
export const tokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
});
export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(['admin', 'manager', 'user']),
  workspaceId: z.string(),
  disabledAt: z.string().nullable(),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
});
const errors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  409: errorSchema,
  429: errorSchema,
};

/** How the refresh cookie is set: `secure` (https only) outside development, and its lifetime. */
export interface RefreshCookie {
  secure: boolean;
  maxAgeSeconds: number;
}

/**
 * Sets the refresh token as an httpOnly, SameSite=Strict cookie scoped to `/v1/auth`: the web
 * app's copy, which no script can read. Every route that signs someone in calls this.
 */
export function setRefreshCookie(cookie: RefreshCookie, reply: FastifyReply, pair: TokenPair) {
  return reply.setCookie(REFRESH_COOKIE, pair.refreshToken, {
    httpOnly: true,
    sameSite: 'strict',
    secure: cookie.secure,
    path: '/v1/auth',
    maxAge: cookie.maxAgeSeconds,
  });
}

export interface AuthRouteDeps {
  accounts: Pick<
    AccountService,
    | 'register'
    | 'setup'
    | 'login'
    | 'refresh'
    | 'logout'
    | 'logoutWithRefreshToken'
    | 'changePassword'
  >;
  users: Pick<AccountStore, 'getUser'>;
  loginGuard: LoginGuard;
  refreshCookie: RefreshCookie;
}

/**
 * Sign-in routes. The refresh token is returned in the body (API clients) and also set as an
 * httpOnly, SameSite=Strict cookie scoped to `/v1/auth` (the web app), so no script can read it.
 */
export const authRoutes =
  ({ accounts, users, loginGuard, refreshCookie }: AuthRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const presentedRefreshToken = (
      request: FastifyRequest,
      body: { refreshToken?: string | undefined } | null | undefined,
    ) => body?.refreshToken ?? request.cookies[REFRESH_COOKIE];
    const publicAuth = { access: { public: true as const, rateLimit: 'auth' as const } };

    app.post(
      '/v1/auth/register',
      {
        config: publicAuth,
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Create an account (when open registration is on)',
          tags: ['auth'],
          body: credentials,
          response: { 201: userSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await accounts.register(request.body)),
    );

    app.post(
      '/v1/auth/setup',
      {
        config: publicAuth,
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Create the first admin with the one-time setup token printed at first start',
          tags: ['auth'],
          body: credentials.extend({
            setupToken: z
              .string()
              .min(10, 'is not the setup token Keel printed at start (keelsetup_…)')
              .max(200, 'is not the setup token Keel printed at start (keelsetup_…)'),
          }),
          response: { 201: userSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await accounts.setup(request.body)),
    );

    app.post(
      '/v1/auth/login',
      {
        config: publicAuth,
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Sign in with e-mail and password',
          tags: ['auth'],
          body: credentials,
          response: { 200: tokenPairSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { email, password } = request.body;
        const check = await loginGuard.check(request.ip, email.toLowerCase());
        if (!check.allowed) {
          throw new RateLimitedError({
            scope: 'login',
            limit: 1,
            retryAfterSeconds: Math.max(1, Math.ceil(check.retryAfterMs / 1000)),
          });
        }
        try {
          const { tokens } = await accounts.login(email, password);
          await loginGuard.recordSuccess(request.ip, email.toLowerCase());
          setRefreshCookie(refreshCookie, reply, tokens);
          return tokens;
        } catch (error) {
          if (error instanceof AuthenticationError)
            await loginGuard.recordFailure(request.ip, email.toLowerCase());
          throw error;
        }
      },
    );

    app.post(
      '/v1/auth/refresh',
      {
        config: publicAuth,
        bodyLimit: SMALL_BODY,
        schema: {
          summary:
            'Rotate a refresh token (body or cookie) into a new pair; a reused token ends the session',
          tags: ['auth'],
          body: z
            .object({ refreshToken: z.string().min(10).max(500).optional() })
            .strict()
            // A request without a body (the web app, which sends only the cookie) parses as null.
            .nullish(),
          response: { 200: tokenPairSchema, ...errors },
        },
      },
      async (request, reply) => {
        const token = presentedRefreshToken(request, request.body);
        if (!token)
          throw new AuthenticationError(
            'refresh_token_required',
            'Send {"refreshToken"} or the refresh cookie',
          );
        const pair = await accounts.refresh(token);
        setRefreshCookie(refreshCookie, reply, pair);
        return pair;
      },
    );

    app.post(
      '/v1/auth/logout',
      {
        config: { access: { public: true } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'End this session (or every session with "everywhere": true)',
          tags: ['auth'],
          body: z
            .object({
              refreshToken: z.string().max(500).optional(),
              everywhere: z.boolean().optional(),
            })
            .strict()
            .nullish(),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const token = presentedRefreshToken(request, request.body);
        const principal = request.principal as typeof request.principal | undefined;
        if (principal && principal.kind === 'user')
          await accounts.logout(principal, request.body?.everywhere ?? false);
        else if (token) await accounts.logoutWithRefreshToken(token);
        else
          throw new AuthenticationError(
            'authentication_required',
            'Send an access token or the refresh token to sign out',
          );
        void reply.clearCookie(REFRESH_COOKIE, { path: '/v1/auth' });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/auth/password',
      {
        config: { access: { role: 'user', rateLimit: 'auth', session: true } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Change your password; every session of yours ends, so sign in again',
          tags: ['auth'],
          body: z
            .object({
              currentPassword: z.string().min(1).max(1024),
              newPassword: z.string().min(1).max(1024),
            })
            .strict(),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await accounts.changePassword(
          request.principal,
          request.body.currentPassword,
          request.body.newPassword,
        );
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/v1/me',
      {
        config: { access: { role: 'user' } },
        bodyLimit: SMALL_BODY,
        schema: {
          summary: 'Who you are: user, workspace, role, and how you signed in',
          tags: ['auth'],
          response: {
            200: z.object({
              user: userSchema.nullable(),
              workspaceId: z.string(),
              role: z.string(),
              via: z.enum(['user', 'api-key', 'local']),
              scopes: z.union([z.array(z.string()), z.literal('all')]),
            }),
            401: errorSchema,
          },
        },
      },
      async (request) => {
        const { principal } = request;
        const user =
          principal.kind === 'local' ? null : ((await users.getUser(principal.userId)) ?? null);
        return {
          user,
          workspaceId: principal.workspaceId,
          role: principal.role,
          via: principal.kind,
          scopes: principal.scopes,
        };
      },
    );
  };
