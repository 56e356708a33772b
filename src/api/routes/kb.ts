import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ConflictError } from '../../errors.js';
import type { RecordAdminAction } from '../admin-audit.js';
import { type SearchService, hitView } from '../../search/search-service.js';
import { assertRole, hasRole } from '../../auth/principal.js';
import { assertPublicGitUrl } from '../../kb/git-source.js';
import { addSource, describeSource, requireSource, workspaceSourceIds } from '../../kb/sources.js';
import { awaitSyncReport, enqueueSync } from '../../jobs/sync-jobs.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { SourceCredentials } from '../../kb/source-credentials.js';
import type { KnowledgeSync } from '../../kb/sync.js';
import type { OutboundGuard } from '../../net/outbound-guard.js';
import type { KnowledgeStore } from '../../store/store.js';
import { jobLinks, jobStates } from './job-schemas.js';
import {
  errorSchema,
  hitSchema,
  newSourceSchema,
  searchQuerySchema,
  sourceSchema,
} from '../schemas.js';

const syncReportSchema = z.object({
  sourceId: z.string(),
  name: z.string(),
  status: z.string(),
  version: z.string().nullable(),
  added: z.number().int(),
  updated: z.number().int(),
  removed: z.number().int(),
  unchanged: z.number().int(),
  documents: z.number().int(),
  chunks: z.number().int(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
  durationMs: z.number(),
  message: z.string().nullable(),
});

export interface KbRouteDeps {
  knowledge: KnowledgeStore;
  search: Pick<SearchService, 'search' | 'mode'>;
  /** Checks a user-given git address before a source is added. */
  outbound: Pick<OutboundGuard, 'check'>;
  credentials: SourceCredentials;
  /** Only to refuse a second sync of a source syncing in this process. */
  sync: Pick<KnowledgeSync, 'isRunning'>;
  /** Syncs run as `ingest` jobs. */
  jobs: JobQueue;
  recordAdminAction: RecordAdminAction;
}

/** Knowledge search and sources. */
export const kbRoutes =
  (deps: KbRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/kb/search',
      {
        config: { access: { role: 'user', scope: 'kb:read', rateLimit: 'search' } },
        schema: {
          summary: 'Hybrid search over the knowledge sources of your workspace',
          tags: ['knowledge'],
          querystring: searchQuerySchema,
          response: {
            200: z.object({ hits: z.array(hitSchema), mode: z.enum(['lexical', 'hybrid']) }),
            400: errorSchema,
          },
        },
      },
      async (request) => {
        const sourceIds = await workspaceSourceIds(deps.knowledge, request.principal.workspaceId);
        const hits = await deps.search.search(request.query.q, { k: request.query.k, sourceIds });
        return {
          mode: deps.search.mode,
          hits: hits.map(hitView),
        };
      },
    );

    app.get(
      '/v1/kb/sources',
      {
        config: { access: { role: 'user', scope: 'kb:read' } },
        schema: {
          summary: 'Knowledge sources of your workspace: last sync, version, counts and errors',
          tags: ['knowledge'],
          response: { 200: z.object({ sources: z.array(sourceSchema) }) },
        },
      },
      async (request) => {
        const sources = await deps.knowledge.listSources(request.principal.workspaceId);
        return {
          sources: await Promise.all(
            sources.map((source) => describeSource(deps.knowledge, source)),
          ),
        };
      },
    );

    app.post(
      '/v1/kb/sources',
      {
        config: { access: { role: 'manager', scope: 'kb:write' } },
        schema: {
          summary:
            'Add a folder or git repository as a knowledge source (not synced until asked); server folders and local repositories need the admin role',
          tags: ['knowledge'],
          body: newSourceSchema,
          response: { 201: sourceSchema, 400: errorSchema, 403: errorSchema, 409: errorSchema },
        },
      },
      async (request, reply) => {
        if (!hasRole(request.principal, 'admin')) {
          // A path on the server reads the server's files, and a private address reaches its
          // network: below admin, only public https repositories.
          if (request.body.kind === 'folder') assertRole(request.principal, 'admin');
          assertPublicGitUrl(request.body.location);
        }
        // Every role: a user-given http(s) repository must be on a public address (or allowed).
        if (request.body.kind === 'git' && /^https?:\/\//i.test(request.body.location.trim())) {
          await deps.outbound.check(request.body.location.trim());
        }
        const source = await addSource(
          deps.knowledge,
          request.body,
          request.principal.workspaceId,
          process.cwd(),
          deps.credentials,
        );
        await deps.recordAdminAction(request, {
          action: 'source.create',
          target: `source:${source.id}`,
          changes: [`name: ${source.name}`, `kind: ${source.kind}`],
        });
        return reply.status(201).send(await describeSource(deps.knowledge, source));
      },
    );

    app.post(
      '/v1/kb/sources/:id/sync',
      {
        config: { access: { role: 'manager', scope: 'kb:write' } },
        schema: {
          summary:
            'Sync a source as an `ingest` job (202 with the job); `?wait=true` waits and answers with the sync report',
          tags: ['knowledge'],
          params: z.object({ id: z.string().min(1).max(64) }),
          querystring: z.object({ wait: z.enum(['true', 'false']).default('false') }),
          response: {
            200: syncReportSchema,
            202: z.object({
              sourceId: z.string(),
              status: z.enum(jobStates),
              job: z.object({ id: z.string(), state: z.enum(jobStates) }),
              links: z.object({ job: z.string(), events: z.string() }),
            }),
            404: errorSchema,
            409: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const source = await requireSource(deps.knowledge, request.params.id, request.principal);
        if (deps.sync.isRunning(source.id)) {
          throw new ConflictError(
            'sync_in_progress',
            `Source "${source.name}" is already syncing`,
            { sourceId: source.id },
          );
        }
        const wait = request.query.wait === 'true';
        // A caller waiting for the report retries themselves; a background sync is retried by the
        // queue with backoff.
        const job = await enqueueSync(deps.jobs, source, {
          requestedBy: request.principal.userId,
          ...(wait && { attempts: 1 }),
        });
        if (wait) {
          const gone = new AbortController();
          reply.raw.on('close', () => {
            if (!reply.raw.writableFinished) gone.abort();
          });
          try {
            return await awaitSyncReport(deps.jobs, deps.knowledge, source, job.id, gone.signal);
          } catch (error) {
            // The caller left; the sync goes on, and there is nobody to answer.
            if (gone.signal.aborted) return reply.hijack();
            throw error;
          }
        }
        const links = jobLinks(job.id);
        return reply
          .status(202)
          .header('location', links.job)
          .send({
            sourceId: source.id,
            status: job.state,
            job: { id: job.id, state: job.state },
            links,
          });
      },
    );
  };
