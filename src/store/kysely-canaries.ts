import { type Kysely, type Selectable, sql } from 'kysely';
import type { CanaryOutcome, CanaryStore, PolicyCanary, VersionOutcomes } from './canary-store.js';
import type { Database } from './schema.js';

/*
 * The audit record keeps each step as JSON written by JSON.stringify in the order id, decision,
 * reasons (see governor/pipeline.ts), so a failed call and a grounding refusal are recognised
 * by a fixed prefix of that text, counted in the database instead of reading every record back.
 */
const FAILED_CALL = '%{"id":"error","decision":"failed"%';
const GROUNDING_REFUSED = '%{"id":"output-validation","decision":"refused"%';

function toCanary(row: Selectable<Database['policy_canaries']>): PolicyCanary {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    version: row.version,
    baseVersion: row.base_version,
    percent: row.percent,
    startedAt: row.started_at,
    startedBy: row.started_by,
    reason: row.reason,
    ...(row.ended_at !== null && {
      ended: {
        at: row.ended_at,
        by: row.ended_by ?? '',
        outcome: row.outcome as CanaryOutcome,
        reason: row.end_reason ?? '',
      },
    }),
  };
}

/** Canary rollouts on any Kysely dialect; their figures are read from the audit log. */
export class KyselyCanaries implements CanaryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly readDb: Kysely<Database> = db,
  ) {}

  async start(canary: Omit<PolicyCanary, 'ended'>): Promise<PolicyCanary> {
    // The partial unique index (one running canary per workspace) refuses a second one.
    await this.db
      .insertInto('policy_canaries')
      .values({
        id: canary.id,
        workspace_id: canary.workspaceId,
        version: canary.version,
        base_version: canary.baseVersion,
        percent: canary.percent,
        started_at: canary.startedAt,
        started_by: canary.startedBy,
        reason: canary.reason,
        ended_at: null,
        ended_by: null,
        outcome: null,
        end_reason: null,
      })
      .execute();
    return canary;
  }

  async running(workspaceId: string): Promise<PolicyCanary | undefined> {
    const row = await this.db
      .selectFrom('policy_canaries')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return row && toCanary(row);
  }

  async end(id: string, ended: NonNullable<PolicyCanary['ended']>): Promise<boolean> {
    const result = await this.db
      .updateTable('policy_canaries')
      .set({
        ended_at: ended.at,
        ended_by: ended.by,
        outcome: ended.outcome,
        end_reason: ended.reason,
      })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async list(workspaceId: string, limit: number): Promise<PolicyCanary[]> {
    const rows = await this.readDb
      .selectFrom('policy_canaries')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toCanary);
  }

  async outcomes(
    workspaceId: string,
    versions: string[],
    since: string,
  ): Promise<Record<string, VersionOutcomes>> {
    const served = this.db
      .selectFrom('audit_records')
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'chat')
      .where('created_at', '>=', since);
    const rows = await served
      .where('policy_version', 'in', versions)
      .select((eb) => [
        'policy_version',
        eb.fn.countAll<number | string>().as('calls'),
        sql<number | string>`sum(case when decision = 'refused' then 1 else 0 end)`.as('refused'),
        sql<number | string>`sum(case when steps like ${FAILED_CALL} then 1 else 0 end)`.as(
          'errors',
        ),
        sql<number | string>`sum(case when steps like ${GROUNDING_REFUSED} then 1 else 0 end)`.as(
          'grounding_failures',
        ),
      ])
      .groupBy('policy_version')
      .execute();
    const outcomes: Record<string, VersionOutcomes> = {};
    for (const version of versions) {
      const row = rows.find((candidate) => candidate.policy_version === version);
      const calls = Number(row?.calls ?? 0);
      const rank = Math.ceil(calls * 0.95);
      const p95 =
        calls === 0
          ? undefined
          : await served
              .where('policy_version', '=', version)
              .select('latency_ms')
              .orderBy('latency_ms')
              .offset(rank - 1)
              .limit(1)
              .executeTakeFirst();
      outcomes[version] = {
        calls,
        refused: Number(row?.refused ?? 0),
        errors: Number(row?.errors ?? 0),
        groundingFailures: Number(row?.grounding_failures ?? 0),
        latencyP95Ms: p95 ? p95.latency_ms : null,
      };
    }
    return outcomes;
  }
}
