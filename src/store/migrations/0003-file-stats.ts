import type { KeelMigration } from './dialect.js';

/** Size and modification time let a re-sync skip unchanged files without reading them. */
export const fileStats: KeelMigration = {
  async up(db, dialect) {
    await db.schema
      .alterTable('documents')
      .addColumn('size', dialect.bigint, (column) => column.notNull().defaultTo(-1))
      .execute();
    await db.schema
      .alterTable('documents')
      .addColumn('mtime_ms', dialect.float, (column) => column.notNull().defaultTo(-1))
      .execute();
  },
};
