import { type Kysely, type Migration, sql } from 'kysely';

/**
 * PostgreSQL migrations: the same tables, columns and keys as `sqlite.ts` (so the row mappers
 * in `rows.ts` serve both), with PostgreSQL types: identity keys are `bigserial`, floats are
 * `double precision`, and lexical search is a generated `tsvector` with a GIN index instead of
 * FTS5. Timestamps stay ISO-8601 text, as on SQLite, so ordering and `substr` agree. Never edit
 * a migration that has shipped; add the next one under the same key as its SQLite twin.
 */
/**
 * BM25 needs the number of chunks and their mean length on every search; counting them would
 * scan the whole table each time. Statement triggers keep one running total per source instead
 * (per source, so syncs of different sources never wait on the same row). Chunks are inserted
 * and deleted, never edited apart from `embedded`, so insert and delete are all they follow.
 */
async function createChunkStatistics(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table chunk_statistics (
      source_id text primary key,
      chunks bigint not null,
      tokens bigint not null
    )`.execute(db);
  await sql`
    create function chunk_statistics_add() returns trigger
    language plpgsql set search_path from current as $$
    begin
      insert into chunk_statistics as total (source_id, chunks, tokens)
        select source_id, count(*), sum(token_count) from added_chunks group by source_id
      on conflict (source_id) do update
        set chunks = total.chunks + excluded.chunks, tokens = total.tokens + excluded.tokens;
      return null;
    end $$`.execute(db);
  await sql`
    create function chunk_statistics_subtract() returns trigger
    language plpgsql set search_path from current as $$
    begin
      update chunk_statistics as total
        set chunks = total.chunks - gone.chunks, tokens = total.tokens - gone.tokens
        from (select source_id, count(*) as chunks, sum(token_count) as tokens
              from removed_chunks group by source_id) as gone
        where total.source_id = gone.source_id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger chunks_counted_in after insert on chunks
    referencing new table as added_chunks
    for each statement execute function chunk_statistics_add()`.execute(db);
  await sql`
    create trigger chunks_counted_out after delete on chunks
    referencing old table as removed_chunks
    for each statement execute function chunk_statistics_subtract()`.execute(db);
}

export const postgresMigrations: Record<string, Migration> = {
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
          id bigserial primary key,
          source_id text not null references sources (id) on delete cascade,
          path text not null,
          content_hash text not null,
          version text not null,
          title text not null,
          chunk_count integer not null,
          updated_at text not null,
          unique (source_id, path)
        )`.execute(db);
      // Heading words weigh more than body words (A over B), as FTS5's bm25 weights 2.0 and 1.0.
      await sql`
        create table chunks (
          id bigserial primary key,
          document_id bigint not null references documents (id) on delete cascade,
          source_id text not null,
          workspace_id text not null,
          ordinal integer not null,
          heading text not null,
          line_start integer not null,
          line_end integer not null,
          text text not null,
          token_count integer not null,
          embedded integer not null default 0,
          search_vector tsvector not null generated always as (
            setweight(to_tsvector('english', heading), 'A') ||
            setweight(to_tsvector('english', text), 'B')
          ) stored
        )`.execute(db);
      await sql`create index chunks_by_document on chunks (document_id)`.execute(db);
      await sql`create index chunks_by_source on chunks (source_id, embedded)`.execute(db);
      await sql`create index chunks_search on chunks using gin (search_vector)`.execute(db);
      await createChunkStatistics(db);
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
          id bigserial primary key,
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
          id bigserial primary key,
          workspace_id text not null default 'default',
          version text not null references policy_versions (version),
          previous_version text,
          actor text not null,
          reason text not null,
          activated_at text not null
        )`.execute(db);
      await sql`
        create table audit_records (
          id bigserial primary key,
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
      await sql`alter table documents add column size bigint not null default -1`.execute(db);
      await sql`alter table documents add column mtime_ms double precision not null default -1`.execute(
        db,
      );
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
          id bigserial primary key,
          workspace_id text not null,
          user_id text not null,
          api_key_id text,
          trace_id text not null,
          status text not null check (status in ('reserved', 'settled', 'released')),
          provider text,
          model text,
          input_tokens integer not null default 0,
          output_tokens integer not null default 0,
          cost double precision not null default 0,
          created_at text not null
        )`.execute(db);
      await sql`create index usage_by_user on usage_records (user_id, created_at)`.execute(db);
      await sql`create index usage_by_workspace on usage_records (workspace_id, created_at)`.execute(
        db,
      );
      await sql`create table settings (key text primary key, value text not null)`.execute(db);
    },
  },
  // No SQLite twin: sqlite-vec keeps its own table beside the store (search/vector-index-sqlite).
  // The vector table itself is made by the index's prepare(), once the embedder's dimension is
  // known; here only what needs privileges or must exist before the first prepare.
  '0005-vectors': {
    async up(db: Kysely<unknown>) {
      // A no-op where an administrator already installed pgvector (a role without CREATE on the
      // database can then still migrate); otherwise this role must be allowed to install it.
      await sql`create extension if not exists vector`.execute(db);
      await sql`create table vector_meta (model text not null, dimensions integer not null)`.execute(
        db,
      );
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
          id bigserial primary key,
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
  // What an administrative action was done to; the SQLite twin has the same key.
  '0009-audit-target': {
    async up(db: Kysely<unknown>) {
      await sql`alter table audit_records add column target text`.execute(db);
    },
  },
  // The SQLite twin says why: per-day usage totals kept by a trigger, so a quota check sums at
  // most 31 rows; and the reservation as one function that reads them.
  '0010-usage-days': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table usage_days (
          scope text not null check (scope in ('user', 'workspace')),
          owner_id text not null,
          day text not null,
          calls bigint not null default 0,
          tokens bigint not null default 0,
          cost double precision not null default 0,
          primary key (scope, owner_id, day)
        )`.execute(db);
      await sql`
        create function usage_days_add(
          p_user_id text, p_workspace_id text, p_day text,
          d_calls bigint, d_tokens bigint, d_cost double precision
        ) returns void language sql set search_path from current as $$
          insert into usage_days as total (scope, owner_id, day, calls, tokens, cost)
            values ('user', p_user_id, p_day, d_calls, d_tokens, d_cost),
                   ('workspace', p_workspace_id, p_day, d_calls, d_tokens, d_cost)
          on conflict (scope, owner_id, day) do update
            set calls = total.calls + excluded.calls, tokens = total.tokens + excluded.tokens,
                cost = total.cost + excluded.cost
        $$`.execute(db);
      // A row counts (1 call, its tokens, its cost) unless it was released.
      await sql`
        create function usage_days_follow() returns trigger
        language plpgsql set search_path from current as $$
        begin
          if tg_op in ('UPDATE', 'DELETE') and old.status <> 'released' then
            perform usage_days_add(old.user_id, old.workspace_id, substr(old.created_at, 1, 10),
              -1, -(old.input_tokens + old.output_tokens)::bigint, -old.cost);
          end if;
          if tg_op in ('INSERT', 'UPDATE') and new.status <> 'released' then
            perform usage_days_add(new.user_id, new.workspace_id, substr(new.created_at, 1, 10),
              1, (new.input_tokens + new.output_tokens)::bigint, new.cost);
          end if;
          return null;
        end $$`.execute(db);
      await sql`
        create trigger usage_days_follow after insert or update or delete on usage_records
        for each row execute function usage_days_follow()`.execute(db);
      for (const [scope, column] of [
        ['user', 'user_id'],
        ['workspace', 'workspace_id'],
      ] as const) {
        await sql`
          insert into usage_days (scope, owner_id, day, calls, tokens, cost)
          select ${scope}, ${sql.ref(column)}, substr(created_at, 1, 10), count(*),
            sum(input_tokens + output_tokens), sum(cost)
          from usage_records where status <> 'released'
          group by ${sql.ref(column)}, substr(created_at, 1, 10)`.execute(db);
      }
      // A quota reservation in one round trip instead of six (begin, two advisory locks, the
      // totals, the insert, commit). In READ COMMITTED each statement of a volatile PL/pgSQL
      // function takes a fresh snapshot, so the totals read after the locks see every
      // reservation committed before them. SQLite serializes writers itself and needs none.
      await sql`
        create function keel_reserve_usage(
          user_lock integer, workspace_lock integer,
          p_workspace_id text, p_user_id text, p_api_key_id text, p_trace_id text,
          p_created_at text, p_limits jsonb
        ) returns table (reserved_id bigint, exceeded integer, used double precision)
        language plpgsql set search_path from current as $$
        declare
          item jsonb;
          i integer := 0;
          reached boolean;
        begin
          perform pg_advisory_xact_lock(user_lock, hashtext(p_user_id));
          perform pg_advisory_xact_lock(workspace_lock, hashtext(p_workspace_id));
          for item in select value from jsonb_array_elements(p_limits) loop
            select coalesce(sum(case item->>'metric' when 'calls' then calls::double precision
                when 'tokens' then tokens::double precision else cost end), 0)
              into strict used
              from usage_days
              where scope = item->>'scope'
                and owner_id = case item->>'scope' when 'user' then p_user_id else p_workspace_id end
                and day >= substr(item->>'since', 1, 10);
            -- As limitReached() in kysely-usage.ts: a call counts itself; tokens and cost are
            -- known only afterwards, so reaching the limit stops the next call.
            reached := case item->>'metric'
              when 'calls' then used + 1 > (item->>'limit')::double precision
              else used >= (item->>'limit')::double precision end;
            if reached then
              reserved_id := null;
              exceeded := i;
              return next;
              return;
            end if;
            i := i + 1;
          end loop;
          insert into usage_records (workspace_id, user_id, api_key_id, trace_id, status, provider,
              model, input_tokens, output_tokens, cost, created_at)
            values (p_workspace_id, p_user_id, p_api_key_id, p_trace_id, 'reserved', null, null,
              0, 0, 0, p_created_at)
            returning id into reserved_id;
          exceeded := null;
          used := null;
          return next;
        end $$`.execute(db);
    },
  },
  // The SQLite twin says why: memories per user and workspace, deleted ones kept as tombstones.
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
      // The SQLite twin says why: the sealed git credential, kept apart from the URL.
      await sql`alter table sources add column sealed_credential text`.execute(db);
    },
  },
  // The SQLite twin says why: canary rollouts, one running per workspace.
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
