import { sql } from 'kysely';
import type { KeelMigration } from './dialect.js';

/**
 * Canary rollouts of policy versions (Arbor & Kumori): at most one running per workspace, ended
 * by a compare-and-set on ended_at so one process acts on a verdict. The audit index serves the
 * canary's comparison, which counts the calls each policy version served since it began.
 */
export const policyCanaries: KeelMigration = {
  async up(db) {
    await db.schema
      .createTable('policy_canaries')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('workspace_id', 'text', (column) => column.notNull())
      .addColumn('version', 'text', (column) => column.notNull())
      .addColumn('base_version', 'text', (column) => column.notNull())
      .addColumn('percent', 'integer', (column) => column.notNull())
      .addColumn('started_at', 'text', (column) => column.notNull())
      .addColumn('started_by', 'text', (column) => column.notNull())
      .addColumn('reason', 'text', (column) => column.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('ended_by', 'text')
      .addColumn('outcome', 'text')
      .addColumn('end_reason', 'text')
      .execute();
    await db.schema
      .createIndex('policy_canaries_running')
      .unique()
      .on('policy_canaries')
      .column('workspace_id')
      .where(sql.ref('ended_at'), 'is', null)
      .execute();
    await db.schema
      .createIndex('audit_by_policy_version')
      .on('audit_records')
      .columns(['policy_version', 'created_at'])
      .execute();
  },
};
