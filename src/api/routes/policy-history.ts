import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PolicyService } from '../../governor/policy-service.js';
import { errorSchema } from '../schemas.js';

/** A stored version (id or unique prefix of 4+ hex characters), `active`, or `disk`. */
const versionSchema = z
  .string()
  .regex(
    /^([0-9a-fA-F]{4,64}|active|disk)$/,
    'a version (4–64 hex characters), "active" or "disk"',
  );
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
// Policy files hold the agents' system prompts, which answers must never leak: admins only.
const adminAccess = { access: { role: 'admin' as const, scope: 'admin' as const } };

export interface PolicyHistoryRouteDeps {
  policies: Pick<PolicyService, 'current' | 'list' | 'compare' | 'files'>;
}

/** Reading policy versions: one version's files, two versions side by side, the activations. */
export const policyHistoryRoutes =
  ({ policies }: PolicyHistoryRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const resolve = async (version: string) =>
      version === 'active' ? (await policies.current()).version : version;

    app.get(
      '/v1/policies/activations',
      {
        config: { access: { role: 'user' } },
        schema: {
          summary: 'Every activation and rollback of a policy version, newest first',
          tags: ['policies'],
          response: {
            200: z.object({
              activations: z.array(
                z.object({
                  version: z.string(),
                  previousVersion: z.string().nullable(),
                  action: z.enum(['activate', 'rollback']),
                  at: z.string(),
                  actor: z.string(),
                  reason: z.string(),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async () => {
        const { activations } = await policies.list();
        return {
          activations: activations.map((activation) => ({
            version: activation.version,
            previousVersion: activation.previousVersion,
            action: activation.action,
            at: activation.activatedAt,
            actor: activation.actor,
            reason: activation.reason,
          })),
        };
      },
    );

    app.get(
      '/v1/policies/diff',
      {
        config: adminAccess,
        schema: {
          summary: 'Two policy versions file by file, for a side-by-side view',
          tags: ['policies'],
          querystring: z.object({
            from: versionSchema,
            to: versionSchema.default('disk').describe('Default: the files on disk'),
          }),
          response: {
            200: z.object({
              from: z.string(),
              to: z.string(),
              files: z.array(
                z.object({
                  path: z.string(),
                  status: z.enum(['added', 'removed', 'changed', 'same']),
                  before: z.string().nullable(),
                  after: z.string().nullable(),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        policies.compare(await resolve(request.query.from), await resolve(request.query.to)),
    );

    app.get(
      '/v1/policies/:version',
      {
        config: adminAccess,
        schema: {
          summary: 'The files of one policy version (`active`, `disk`, an id or unique prefix)',
          tags: ['policies'],
          params: z.object({ version: versionSchema }),
          response: {
            200: z.object({
              version: z.string(),
              active: z.boolean(),
              files: z.array(z.object({ path: z.string(), content: z.string() })),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const active = (await policies.current()).version;
        const { version, files } = await policies.files(await resolve(request.params.version));
        return {
          version,
          active: version === active,
          files: Object.entries(files)
            .sort(([left], [right]) => left.localeCompare(right))
            .map(([path, content]) => ({ path, content })),
        };
      },
    );
  };
