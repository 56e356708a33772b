import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

/**
 * A migrated database's schema as text, one line per fact, for comparing two databases: the
 * migrations recorded, then every table's columns, keys, checks, indexes and triggers. Written
 * from the catalog, not from the DDL text, so two migrations that build the same schema with
 * differently written statements give the same dump.
 */
export function sqliteSchemaDump(db: BetterSqlite3.Database): string {
  const migrations = db.prepare('select name from kysely_migration order by name').all();
  const lines = (migrations as { name: string }[]).map((row) => `migration | ${row.name}`);
  const objects = db
    .prepare(
      `select type, name, tbl_name as "table", sql from sqlite_master
       where name not like 'sqlite_%' and name not like 'kysely_%' order by type, name`,
    )
    .all() as { type: string; name: string; table: string; sql: string | null }[];
  for (const object of objects) {
    if (object.type === 'index' || object.type === 'trigger' || isVirtual(object.sql)) {
      lines.push(`${object.type} ${object.name}: ${normalize(object.sql ?? '')}`);
    }
    if (object.type !== 'table' || isVirtual(object.sql)) continue;
    for (const column of pragma(db, 'table_xinfo', object.name)) {
      lines.push(`table ${object.name} column ${JSON.stringify(column)}`);
    }
    for (const key of pragma(db, 'foreign_key_list', object.name)) {
      const { table, from, to, on_update: onUpdate, on_delete: onDelete } = key;
      lines.push(
        `table ${object.name} foreign key ${from} -> ${table}.${to} ${onUpdate} ${onDelete}`,
      );
    }
    for (const check of checksOf(object.sql ?? '')) lines.push(`table ${object.name} ${check}`);
    const indexes = pragma(db, 'index_list', object.name).sort((a, b) =>
      String(a.name).localeCompare(String(b.name)),
    );
    for (const { name, unique, origin, partial } of indexes) {
      const columns = pragma(db, 'index_info', String(name)).map((column) => column.name);
      lines.push(
        `table ${object.name} index ${name} (${columns.join(', ')}) unique=${unique} origin=${origin} partial=${partial}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The same for the current schema of a PostgreSQL database (its name shown as `<schema>`). */
export async function postgresSchemaDump(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const schema = (await client.query<{ name: string }>('select current_schema() as name'))
      .rows[0]!.name;
    const facts = async (text: string): Promise<string[]> => {
      const result = await client.query<Record<string, unknown>>(text, [schema]);
      // Spacing inside a function body or an expression is not schema: one space stands for any.
      return result.rows.map((row) =>
        Object.values(row).map(String).join(' | ').replace(/\s+/g, ' '),
      );
    };
    const lines = [
      ...(await facts(
        `select 'migration', name from ${client.escapeIdentifier(schema)}.kysely_migration
           where $1 = $1 order by name`,
      )),
      ...(await facts(
        `select 'column', table_name, column_name, data_type, is_nullable, column_default,
           is_generated, generation_expression
         from information_schema.columns
         where table_schema = $1 and table_name not like 'kysely_%'
         order by table_name, ordinal_position`,
      )),
      ...(await facts(
        `select 'constraint', conrelid::regclass::text as "table", conname,
           pg_get_constraintdef(oid)
         from pg_constraint
         where connamespace = $1::text::regnamespace and conrelid::regclass::text not like 'kysely_%'
         order by 2, 3`,
      )),
      ...(await facts(
        `select 'index', tablename, indexname, indexdef from pg_indexes
         where schemaname = $1 and tablename not like 'kysely_%' order by 2, 3`,
      )),
      ...(await facts(
        `select 'trigger', t.tgrelid::regclass::text as "table", t.tgname, pg_get_triggerdef(t.oid)
         from pg_trigger t join pg_class c on c.oid = t.tgrelid
         where c.relnamespace = $1::text::regnamespace and not t.tgisinternal order by 2, 3`,
      )),
      ...(await facts(
        `select 'function', proname, pg_get_functiondef(oid) from pg_proc
         where pronamespace = $1::text::regnamespace order by 2`,
      )),
    ];
    return `${lines.join('\n').replace(new RegExp(`\\b${schema}\\b`, 'g'), '<schema>')}\n`;
  } finally {
    await client.end();
  }
}

function isVirtual(sql: string | null): boolean {
  return /^create virtual table/i.test(sql ?? '');
}

function pragma(
  db: BetterSqlite3.Database,
  name: string,
  argument: string,
): Record<string, unknown>[] {
  return db.prepare(`select * from pragma_${name}(?)`).all(argument) as Record<string, unknown>[];
}

/** DDL text without quotes around names, in lower case, spaced one way. */
function normalize(sql: string): string {
  return sql
    .replaceAll('"', '')
    .replace(/\s+/g, ' ')
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')')
    .trim()
    .toLowerCase();
}

/** The `check (…)` clauses of a create table statement, normalized. */
function checksOf(sql: string): string[] {
  const text = normalize(sql);
  const checks: string[] = [];
  for (let at = text.indexOf('check ('); at >= 0; at = text.indexOf('check (', at + 1)) {
    let depth = 0;
    let end = at + 'check '.length;
    for (; end < text.length; end += 1) {
      if (text[end] === '(') depth += 1;
      if (text[end] === ')' && --depth === 0) break;
    }
    checks.push(text.slice(at, end + 1));
  }
  return checks.sort();
}
