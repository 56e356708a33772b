import { type Kysely, sql } from 'kysely';
import type { KeelMigration } from './dialect.js';

/**
 * Quota checks ran on every call over every usage row of the period (a month of a busy
 * workspace: tens of thousands). Triggers keep per-day totals per user and per workspace as
 * rows come, change status or go, so a check sums at most 31 rows. On PostgreSQL the quota
 * reservation is one function that reads them.
 */
export const usageDays: KeelMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('usage_days')
      .addColumn('scope', 'text', (column) =>
        column.notNull().check(sql`scope in ('user', 'workspace')`),
      )
      .addColumn('owner_id', 'text', (column) => column.notNull())
      .addColumn('day', 'text', (column) => column.notNull())
      .addColumn('calls', dialect.bigint, (column) => column.notNull().defaultTo(0))
      .addColumn('tokens', dialect.bigint, (column) => column.notNull().defaultTo(0))
      .addColumn('cost', dialect.float, (column) => column.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('usage_days_pkey', ['scope', 'owner_id', 'day'])
      .execute();
    if (dialect.name === 'sqlite') await followUsageSqlite(db);
    else await followUsagePostgres(db);
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
    if (dialect.name === 'postgres') await createReserveUsage(db);
  },
};

/** SQLite: row triggers; a row counts (1 call, its tokens, its cost) unless it was released. */
async function followUsageSqlite(db: Kysely<unknown>): Promise<void> {
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
}

/** PostgreSQL: one function adds to both totals, one row trigger follows every change. */
async function followUsagePostgres(db: Kysely<unknown>): Promise<void> {
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
}

/**
 * PostgreSQL: a quota reservation in one round trip instead of six (begin, two advisory locks,
 * the totals, the insert, commit). In READ COMMITTED each statement of a volatile PL/pgSQL
 * function takes a fresh snapshot, so the totals read after the locks see every reservation
 * committed before them. SQLite serializes writers itself and needs none.
 */
async function createReserveUsage(db: Kysely<unknown>): Promise<void> {
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
}
