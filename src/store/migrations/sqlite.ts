import { type Kysely, type Migration, sql } from 'kysely';

/**
 * SQLite migrations, applied in key order and recorded by Kysely's migrator. Never edit a
 * migration that has shipped; add the next one.
 */
export const sqliteMigrations: Record<string, Migration> = {
  '0001-knowledge': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table sources (
          id text primary key,
          workspace_id text not null default 'default',
          name text not null,
          kind text not null check (kind in ('folder', 'git')),
          location text not null,
          config text not null default '{}',
          version text,
          last_sync_at text,
          last_sync_status text not null default 'never',
          last_sync_message text,
          created_at text not null,
          unique (workspace_id, name)
        )`.execute(db);
      await sql`
        create table documents (
          id integer primary key,
          source_id text not null references sources (id) on delete cascade,
          path text not null,
          content_hash text not null,
          version text not null,
          title text not null,
          chunk_count integer not null,
          updated_at text not null,
          unique (source_id, path)
        )`.execute(db);
      await sql`
        create table chunks (
          id integer primary key,
          document_id integer not null references documents (id) on delete cascade,
          source_id text not null,
          workspace_id text not null,
          ordinal integer not null,
          heading text not null,
          line_start integer not null,
          line_end integer not null,
          text text not null,
          token_count integer not null,
          embedded integer not null default 0
        )`.execute(db);
      await sql`create index chunks_by_document on chunks (document_id)`.execute(db);
      await sql`create index chunks_by_source on chunks (source_id, embedded)`.execute(db);
      // External-content FTS5 index: the text lives once, in `chunks`; triggers keep it in step.
      await sql`
        create virtual table chunks_fts using fts5 (
          heading, text, content = 'chunks', content_rowid = 'id',
          tokenize = 'porter unicode61 remove_diacritics 2'
        )`.execute(db);
      await sql`
        create trigger chunks_after_insert after insert on chunks begin
          insert into chunks_fts (rowid, heading, text) values (new.id, new.heading, new.text);
        end`.execute(db);
      await sql`
        create trigger chunks_after_delete after delete on chunks begin
          insert into chunks_fts (chunks_fts, rowid, heading, text)
            values ('delete', old.id, old.heading, old.text);
        end`.execute(db);
      await sql`
        create table sync_errors (
          source_id text not null references sources (id) on delete cascade,
          path text not null,
          message text not null,
          occurred_at text not null
        )`.execute(db);
      await sql`create index sync_errors_by_source on sync_errors (source_id)`.execute(db);
      await sql`
        create table knowledge_versions (
          id integer primary key,
          source_id text not null references sources (id) on delete cascade,
          version text not null,
          created_at text not null,
          documents integer not null,
          chunks integer not null,
          added integer not null,
          updated integer not null,
          removed integer not null,
          errors integer not null
        )`.execute(db);
    },
  },
  '0002-governance': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table policy_versions (
          version text primary key,
          files text not null,
          created_at text not null
        )`.execute(db);
      await sql`
        create table policy_activations (
          id integer primary key,
          workspace_id text not null default 'default',
          version text not null references policy_versions (version),
          previous_version text,
          actor text not null,
          reason text not null,
          activated_at text not null
        )`.execute(db);
      await sql`
        create table audit_records (
          id integer primary key,
          trace_id text not null,
          workspace_id text not null default 'default',
          created_at text not null,
          kind text not null,
          policy_version text not null,
          prompt_version text,
          agent text,
          provider text,
          model text,
          knowledge_versions text not null,
          input_tokens integer not null,
          output_tokens integer not null,
          latency_ms integer not null,
          decision text not null,
          steps text not null,
          previous_hash text,
          hash text not null
        )`.execute(db);
      await sql`create index audit_by_time on audit_records (created_at)`.execute(db);
      // Not unique: the trace id may come from the caller's x-request-id, and a retry reuses it.
      await sql`create index audit_by_trace on audit_records (trace_id)`.execute(db);
    },
  },
  '0003-file-stats': {
    // Size and modification time let a re-sync skip unchanged files without reading them.
    async up(db: Kysely<unknown>) {
      await sql`alter table documents add column size integer not null default -1`.execute(db);
      await sql`alter table documents add column mtime_ms real not null default -1`.execute(db);
    },
  },
  '0004-accounts': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table workspaces (
          id text primary key,
          name text not null unique,
          created_at text not null
        )`.execute(db);
      await sql`insert into workspaces (id, name, created_at) values ('default', 'Default', ${new Date().toISOString()})`.execute(
        db,
      );
      await sql`
        create table users (
          id text primary key,
          email text not null unique,
          password_hash text not null,
          role text not null check (role in ('admin', 'manager', 'user')),
          workspace_id text not null references workspaces (id),
          disabled_at text,
          last_login_at text,
          created_at text not null
        )`.execute(db);
      await sql`
        create table sessions (
          id text primary key,
          user_id text not null references users (id) on delete cascade,
          created_at text not null,
          expires_at text not null,
          revoked_at text,
          revoke_reason text
        )`.execute(db);
      await sql`create index sessions_by_user on sessions (user_id)`.execute(db);
      // Refresh tokens are stored hashed; one row per issued token so reuse is detectable.
      await sql`
        create table refresh_tokens (
          token_hash text primary key,
          session_id text not null references sessions (id) on delete cascade,
          created_at text not null,
          expires_at text not null,
          used_at text
        )`.execute(db);
      await sql`
        create table api_keys (
          id text primary key,
          user_id text not null references users (id) on delete cascade,
          workspace_id text not null references workspaces (id),
          name text not null,
          prefix text not null unique,
          key_hash text not null,
          scopes text not null,
          expires_at text,
          last_used_at text,
          revoked_at text,
          created_at text not null
        )`.execute(db);
      await sql`
        create table usage_records (
          id integer primary key,
          workspace_id text not null,
          user_id text not null,
          api_key_id text,
          trace_id text not null,
          status text not null check (status in ('reserved', 'settled', 'released')),
          provider text,
          model text,
          input_tokens integer not null default 0,
          output_tokens integer not null default 0,
          cost real not null default 0,
          created_at text not null
        )`.execute(db);
      await sql`create index usage_by_user on usage_records (user_id, created_at)`.execute(db);
      await sql`create index usage_by_workspace on usage_records (workspace_id, created_at)`.execute(
        db,
      );
      await sql`create table settings (key text primary key, value text not null)`.execute(db);
    },
  },
  // Chat history per user. Messages keep what the user saw: the answer, its citations and the
  // governor's decision (with the refusal reason), as JSON text in both dialects.
  '0006-conversations': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table conversations (
          id text primary key,
          workspace_id text not null,
          user_id text not null,
          title text not null,
          agent text,
          message_count integer not null default 0,
          created_at text not null,
          updated_at text not null
        )`.execute(db);
      await sql`create index conversations_by_user on conversations (user_id, updated_at, id)`.execute(
        db,
      );
      await sql`
        create table conversation_messages (
          id integer primary key,
          conversation_id text not null references conversations (id) on delete cascade,
          role text not null check (role in ('user', 'assistant')),
          content text not null,
          citations text not null default '[]',
          decision text,
          agent text,
          trace_id text,
          created_at text not null
        )`.execute(db);
      await sql`create index messages_by_conversation on conversation_messages (conversation_id, id)`.execute(
        db,
      );
    },
  },
  // Who made an audited call and whether an activation was a rollback, for the audit and policy
  // screens; invitations are single-use tokens stored hashed, like refresh tokens.
  '0007-invites-and-actors': {
    async up(db: Kysely<unknown>) {
      await sql`alter table audit_records add column actor text`.execute(db);
      await sql`create index audit_by_workspace on audit_records (workspace_id, id)`.execute(db);
      await sql`alter table policy_activations add column action text not null default 'activate'`.execute(
        db,
      );
      await sql`
        create table invites (
          token_hash text primary key,
          user_id text not null references users (id) on delete cascade,
          created_by text not null,
          created_at text not null,
          expires_at text not null,
          used_at text
        )`.execute(db);
      await sql`create index invites_by_user on invites (user_id)`.execute(db);
    },
  },
  // What an administrative action was done to (a user, a key, a policy version); chats name
  // their agent instead. PostgreSQL's twin has the same key.
  '0009-audit-target': {
    async up(db: Kysely<unknown>) {
      await sql`alter table audit_records add column target text`.execute(db);
    },
  },
  // Quota checks ran on every call over every usage row of the period (a month of a busy
  // workspace: tens of thousands). Triggers keep per-day totals per user and per workspace as
  // rows come, change status or go, so a check sums at most 31 rows. PostgreSQL's twin has the
  // same key.
  '0010-usage-days': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table usage_days (
          scope text not null check (scope in ('user', 'workspace')),
          owner_id text not null,
          day text not null,
          calls integer not null default 0,
          tokens integer not null default 0,
          cost real not null default 0,
          primary key (scope, owner_id, day)
        )`.execute(db);
      // A row counts (1 call, its tokens, its cost) unless it was released.
      const ensure = (row: 'new') => `
          insert or ignore into usage_days (scope, owner_id, day)
            values ('user', ${row}.user_id, substr(${row}.created_at, 1, 10)),
                   ('workspace', ${row}.workspace_id, substr(${row}.created_at, 1, 10));`;
      const add = (row: 'new' | 'old', sign: '+' | '-') => `
          update usage_days set
              calls = calls ${sign} (${row}.status <> 'released'),
              tokens = tokens ${sign} (${row}.status <> 'released') * (${row}.input_tokens + ${row}.output_tokens),
              cost = cost ${sign} (${row}.status <> 'released') * ${row}.cost
            where day = substr(${row}.created_at, 1, 10)
              and ((scope = 'user' and owner_id = ${row}.user_id)
                or (scope = 'workspace' and owner_id = ${row}.workspace_id));`;
      await sql
        .raw(
          `create trigger usage_days_insert after insert on usage_records begin
          ${ensure('new')} ${add('new', '+')}
        end`,
        )
        .execute(db);
      await sql
        .raw(
          `create trigger usage_days_update after update on usage_records begin
          ${add('old', '-')} ${ensure('new')} ${add('new', '+')}
        end`,
        )
        .execute(db);
      await sql
        .raw(
          `create trigger usage_days_delete after delete on usage_records begin ${add('old', '-')} end`,
        )
        .execute(db);
      for (const [scope, column] of [
        ['user', 'user_id'],
        ['workspace', 'workspace_id'],
      ] as const) {
        await sql
          .raw(
            `insert into usage_days (scope, owner_id, day, calls, tokens, cost)
             select '${scope}', ${column}, substr(created_at, 1, 10), count(*),
               sum(input_tokens + output_tokens), sum(cost)
             from usage_records where status <> 'released'
             group by ${column}, substr(created_at, 1, 10)`,
          )
          .execute(db);
      }
    },
  },
  // Long-term memory (Arbor & Kumori): what a user said about themselves, per user and
  // workspace. A deleted memory keeps its id without its text, so re-reading the same
  // conversation never brings it back. PostgreSQL's twin has the same key.
  '0011-memories': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table memories (
          id text primary key,
          workspace_id text not null,
          user_id text not null,
          agent_id text not null,
          kind text not null,
          text text not null,
          conversation_id text not null,
          message_id text not null,
          embedding text,
          created_at text not null,
          forgotten_at text
        )`.execute(db);
      await sql`create index memories_by_owner on memories (workspace_id, user_id, created_at)`.execute(
        db,
      );
      await sql`
        create table memory_settings (
          workspace_id text not null,
          user_id text not null,
          enabled integer not null,
          updated_at text not null,
          primary key (workspace_id, user_id)
        )`.execute(db);
    },
  },
  '0012-refresh-token-successor': {
    async up(db: Kysely<unknown>) {
      // Set when a refresh token is rotated: with the token itself it derives the successor, so a
      // second refresh within the grace window returns the same successor instead of a logout.
      await sql`alter table refresh_tokens add column successor_salt text`.execute(db);
    },
  },
  '0013-source-credentials': {
    async up(db: Kysely<unknown>) {
      // A git source's credential, sealed with KEEL_CREDENTIALS_KEY, apart from its URL. Rows that
      // still hold one in the URL are moved at start (sealing needs the key, which migrations do
      // not have: kb/source-credentials.ts).
      await sql`alter table sources add column sealed_credential text`.execute(db);
    },
  },
  // Canary rollouts of policy versions (Arbor & Kumori): at most one running per workspace, ended
  // by a compare-and-set on ended_at so one process acts on a verdict. The audit index serves
  // the canary's comparison, which counts the calls each policy version served since it began.
  '0014-policy-canaries': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table policy_canaries (
          id text primary key,
          workspace_id text not null,
          version text not null,
          base_version text not null,
          percent integer not null,
          started_at text not null,
          started_by text not null,
          reason text not null,
          ended_at text,
          ended_by text,
          outcome text,
          end_reason text
        )`.execute(db);
      await sql`create unique index policy_canaries_running on policy_canaries (workspace_id) where ended_at is null`.execute(
        db,
      );
      await sql`create index audit_by_policy_version on audit_records (policy_version, created_at)`.execute(
        db,
      );
    },
  },
};
