import type { KeelMigration } from './dialect.js';

/** Policy versions and their activations; the hash-chained audit records. */
export const governance: KeelMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('policy_versions')
      .addColumn('version', 'text', (column) => column.primaryKey())
      .addColumn('files', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('policy_activations')
      .addColumn('id', dialect.id, (column) => column.primaryKey())
      .addColumn('workspace_id', 'text', (column) => column.notNull().defaultTo('default'))
      .addColumn('version', 'text', (column) =>
        column.notNull().references('policy_versions.version'),
      )
      .addColumn('previous_version', 'text')
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('reason', 'text', (column) => column.notNull())
      .addColumn('activated_at', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('audit_records')
      .addColumn('id', dialect.id, (column) => column.primaryKey())
      .addColumn('trace_id', 'text', (column) => column.notNull())
      .addColumn('workspace_id', 'text', (column) => column.notNull().defaultTo('default'))
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('policy_version', 'text', (column) => column.notNull())
      .addColumn('prompt_version', 'text')
      .addColumn('agent', 'text')
      .addColumn('provider', 'text')
      .addColumn('model', 'text')
      .addColumn('knowledge_versions', 'text', (column) => column.notNull())
      .addColumn('input_tokens', 'integer', (column) => column.notNull())
      .addColumn('output_tokens', 'integer', (column) => column.notNull())
      .addColumn('latency_ms', 'integer', (column) => column.notNull())
      .addColumn('decision', 'text', (column) => column.notNull())
      .addColumn('steps', 'text', (column) => column.notNull())
      .addColumn('previous_hash', 'text')
      .addColumn('hash', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('audit_by_time').on('audit_records').column('created_at').execute();
    // Not unique: the trace id may come from the caller's x-request-id, and a retry reuses it.
    await db.schema.createIndex('audit_by_trace').on('audit_records').column('trace_id').execute();
  },
};
