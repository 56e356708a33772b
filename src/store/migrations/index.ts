import type { Migration } from 'kysely';
import { knowledge } from './0001-knowledge.js';
import { governance } from './0002-governance.js';
import { fileStats } from './0003-file-stats.js';
import { accounts } from './0004-accounts.js';
import { vectors } from './0005-vectors.js';
import { conversations } from './0006-conversations.js';
import { invitesAndActors } from './0007-invites-and-actors.js';
import { auditTarget } from './0009-audit-target.js';
import { usageDays } from './0010-usage-days.js';
import { memories } from './0011-memories.js';
import { refreshTokenSuccessor } from './0012-refresh-token-successor.js';
import { sourceCredentials } from './0013-source-credentials.js';
import { policyCanaries } from './0014-policy-canaries.js';
import { indexedTextColumn } from './0015-indexed-text.js';
import { type Dialect, type KeelMigration, postgres, sqlite } from './dialect.js';

/**
 * The store's migrations, applied in key order; Kysely's migrator records each by its key, so
 * a key never changes. Never edit a migration that has shipped; add the next one (and update
 * the pinned schema in migrations.integration.test.ts).
 */
const migrations: Record<string, KeelMigration> = {
  '0001-knowledge': knowledge,
  '0002-governance': governance,
  '0003-file-stats': fileStats,
  '0004-accounts': accounts,
  '0005-vectors': vectors,
  '0006-conversations': conversations,
  '0007-invites-and-actors': invitesAndActors,
  '0009-audit-target': auditTarget,
  '0010-usage-days': usageDays,
  '0011-memories': memories,
  '0012-refresh-token-successor': refreshTokenSuccessor,
  '0013-source-credentials': sourceCredentials,
  '0014-policy-canaries': policyCanaries,
  '0015-indexed-text': indexedTextColumn,
};

function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return Object.fromEntries(
    Object.entries(migrations)
      .filter(([, migration]) => (migration.only ?? dialect.name) === dialect.name)
      .map(([name, migration]) => [name, { up: (db) => migration.up(db, dialect) }]),
  );
}

export const sqliteMigrations = migrationsFor(sqlite);
export const postgresMigrations = migrationsFor(postgres);
