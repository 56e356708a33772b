import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import type { AccountStore } from '../store/account-store.js';
import { errorBody } from './error-handler.js';

/** Paths that belong to the API: never answered with the app, so a typo there is a JSON 404. */
const API_PATHS = /^\/(v1|api|health|internal)(\/|$)|^\/metrics$/;
/** Vite names built assets by content hash, so a cached copy can never be stale. */
const HASHED_ASSET = /^\/assets\//;
const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keel</title></head>
<body><h1>Keel is running</h1>
<p>The web app has not been built yet. Run <code>npm run build</code> (or point
<code>KEEL_WEB_DIR</code> at a built copy) and restart. The API is at <code>/v1</code>;
its description at <a href="/v1/openapi.json">/v1/openapi.json</a>.</p></body></html>
`;

/**
 * The Content-Security-Policy of everything Keel serves: scripts, styles and fonts from Keel
 * itself only, images from Keel or inline `data:` (never remote, which could track readers),
 * and API calls to Keel or the configured API origin.
 */
export function contentSecurityPolicy(apiOrigin: string | undefined) {
  return {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'", ...(apiOrigin ? [apiOrigin] : [])],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      // Helmet's default would send a plain-HTTP laptop install's own requests to https.
      upgradeInsecureRequests: null,
    },
  };
}

/** The file under `root` a URL path names, or undefined when it is none (or escapes `root`). */
async function fileFor(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  // Hidden files (`.env`, `.git/…`) are never part of a build: answered like any unknown page.
  if (decoded.includes('\0') || decoded.split('/').some((part) => part.startsWith('.')))
    return undefined;
  const absolute = resolve(root, `.${decoded}`);
  if (!absolute.startsWith(root + sep)) return undefined;
  const stats = await stat(absolute).catch(() => undefined);
  return stats?.isFile() ? absolute.slice(root.length + 1) : undefined;
}

export interface WebAppRouteDeps {
  web: Config['web'];
  authEnabled: boolean;
  /** No account yet means first-run setup is pending. */
  users: Pick<AccountStore, 'countUsers'>;
}

/**
 * The single-page web app from `KEEL_WEB_DIR` at `/`, with the fallback a client-side router
 * needs (any other page path answers `index.html`), and `GET /config.json`, which tells a copy
 * of the app hosted elsewhere where the API is and whether first-run setup is pending.
 */
export const webAppRoutes =
  ({ web, authEnabled, users }: WebAppRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const root = resolve(web.dir);
    const built = Boolean(await stat(resolve(root, 'index.html')).catch(() => undefined));
    // `serve: false`: only `reply.sendFile`, so the one route below decides what is served.
    await app.register(fastifyStatic, {
      root,
      serve: false,
      index: false,
      dotfiles: 'deny',
      setHeaders: (reply, path) => {
        const name = path.slice(root.length).split(sep).join('/');
        void reply.header(
          'cache-control',
          HASHED_ASSET.test(name)
            ? 'public, max-age=31536000, immutable'
            : name === '/index.html'
              ? 'no-cache'
              : 'public, max-age=3600',
        );
      },
    });

    app.get(
      '/config.json',
      {
        config: { access: { public: true } },
        schema: {
          summary: 'Where the web app finds the API, and whether sign-in and first-run setup apply',
          tags: ['web'],
          response: {
            200: z.object({
              apiOrigin: z.string().describe('Empty: the same origin as the app'),
              authEnabled: z.boolean(),
              setupRequired: z.boolean().describe('No account exists yet: create the first admin'),
            }),
          },
        },
      },
      async (_request, reply) => {
        void reply.header('cache-control', 'no-cache');
        return {
          apiOrigin: web.apiOrigin ?? '',
          authEnabled,
          // The same condition POST /v1/auth/setup accepts the setup token under.
          setupRequired: authEnabled && (await users.countUsers()) === 0,
        };
      },
    );

    app.get(
      '/*',
      { config: { access: { public: true } }, schema: { hide: true } },
      async (request, reply) => {
        const path = request.url.split('?')[0] ?? '/';
        if (API_PATHS.test(path))
          return reply
            .status(404)
            .send(errorBody('not_found', `No route ${request.method} ${path}`));
        if (!built) return reply.type('text/html; charset=utf-8').send(MISSING_BUILD);
        const file = path === '/' ? undefined : await fileFor(root, path);
        return reply.sendFile(file ?? 'index.html');
      },
    );
  };
