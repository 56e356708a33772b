import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditStore, StoredAuditRecord } from '../../store/store.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { errorSchema } from '../schemas.js';
import { assertRange, instantSchema } from '../time-range.js';

const recordSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string().nullable().describe('user:<email>, api-key:<id>, local; null when unknown'),
  action: z
    .string()
    .describe(
      'What was done: `chat` for a governed answer; `user.create`, `user.update`, `user.invite`, `workspace.create`, `api-key.create`, `api-key.revoke`, `policy.activate`, `policy.rollback`, `source.create` for administration',
    ),
  target: z
    .string()
    .nullable()
    .describe('What it was done to: the agent of a chat, or `user:<id>`, `api-key:<id>`, …'),
  details: z.record(z.string(), z.unknown()),
  traceId: z.string(),
});

function view(record: StoredAuditRecord): z.infer<typeof recordSchema> {
  return {
    id: record.id,
    at: record.createdAt,
    actor: record.actor ?? null,
    action: record.kind,
    target: record.target ?? record.agent,
    details: {
      workspaceId: record.workspaceId,
      decision: record.decision,
      policyVersion: record.policyVersion,
      promptVersion: record.promptVersion,
      provider: record.provider,
      model: record.model,
      knowledgeVersions: record.knowledgeVersions,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      latencyMs: record.latencyMs,
      steps: record.steps,
      hash: record.hash,
      previousHash: record.previousHash,
    },
    traceId: record.traceId,
  };
}

export interface AuditRouteDeps {
  audit: Pick<AuditStore, 'searchAudit'>;
}

/** `GET /v1/audit`: the audit log; admins read every workspace, managers their own. */
export const auditRoutes =
  ({ audit }: AuditRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/audit',
      {
        config: { access: { role: 'manager', scope: 'admin' } },
        schema: {
          summary: 'Audit records, newest first (managers: their workspace; admins: all)',
          tags: ['audit'],
          querystring: z.object({
            action: z.string().min(1).max(64).optional(),
            actor: z.string().min(1).max(400).optional(),
            from: instantSchema.optional().describe('ISO date or date-time, inclusive'),
            to: instantSchema.optional().describe('ISO date or date-time, exclusive'),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().min(1).max(200).optional(),
          }),
          response: {
            200: z.object({ records: z.array(recordSchema), nextCursor: z.string().nullable() }),
            400: errorSchema,
            401: errorSchema,
            403: errorSchema,
          },
        },
      },
      async (request) => {
        const { principal } = request;
        const { action, actor, from, to, limit, cursor } = request.query;
        assertRange(from, to);
        const beforeId = cursor
          ? decodeCursor(cursor, z.object({ id: z.number().int().positive() })).id
          : undefined;
        const rows = await audit.searchAudit({
          limit: limit + 1,
          ...(principal.role !== 'admin' && { workspaceId: principal.workspaceId }),
          ...(action && { action }),
          ...(actor && { actor }),
          ...(from && { from }),
          ...(to && { to }),
          ...(beforeId !== undefined && { beforeId }),
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          records: page.map(view),
          nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
        };
      },
    );
  };
