import { createHash } from 'node:crypto';
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Stands where a value goes when the query is compiled; replaced by that value on each call. */
class ParamMarker {
  constructor(readonly name: string) {}
}

/** Names a per-call value inside `prepareQuery`'s builder; typed as the value it stands for. */
export type Param<Params> = <Name extends keyof Params & string>(name: Name) => Params[Name];

/** Where each compiled parameter comes from: a per-call value by name, or a constant. */
type Slot = { name: string } | { value: unknown };

/** The comment that asks the PostgreSQL pool to keep the statement prepared (`postgres-pool.ts`). */
export const STATEMENT_NAME_PREFIX = '/* keel:';

/**
 * A Kysely query shape built and compiled once, run with new values on each call: Kysely's query
 * building (builder objects, the frozen operation tree, the compiler's walk) cost about 1.4 ms of
 * CPU per governed chat call when every hot query was built afresh. The compiled SQL text never
 * changes, so SQLite's `StatementCache` finds it prepared, and the leading comment names it for
 * the PostgreSQL pool, which prepares it once per connection instead of PostgreSQL parsing and
 * planning it on every call. Kysely plugins' `transformQuery` would be skipped; Keel uses none.
 *
 * @example
 *   const byPrefix = prepareQuery('api-key-by-prefix', (param: Param<{ prefix: string }>) =>
 *     db.selectFrom('api_keys').selectAll().where('prefix', '=', param('prefix')));
 *   const key = await byPrefix.takeFirst(db, { prefix });
 *   // A raw `sql` template compiles against its database: return `sql`…`.compile(db)`.
 */
export function prepareQuery<Params, Row>(
  name: string,
  build: (param: Param<Params>) => Compilable<Row> | CompiledQuery<Row>,
): PreparedQuery<Params, Row> {
  const built = build(((key: string) => new ParamMarker(key)) as Param<Params>);
  const compiled = 'compile' in built ? built.compile() : built;
  const hash = createHash('sha256').update(compiled.sql).digest('hex').slice(0, 12);
  const slots: Slot[] = compiled.parameters.map((value) =>
    value instanceof ParamMarker ? { name: value.name } : { value },
  );
  return new PreparedQuery<Params, Row>(
    { ...compiled, sql: `${STATEMENT_NAME_PREFIX}${name}-${hash} */ ${compiled.sql}` },
    slots,
  );
}

export class PreparedQuery<Params, Row> {
  constructor(
    private readonly compiled: CompiledQuery<Row>,
    private readonly slots: Slot[],
  ) {}

  /** The SQL as sent, comment included (for tests and diagnostics). */
  get sql(): string {
    return this.compiled.sql;
  }

  /**
   * Runs on `db` — the store's connection or a transaction of it — with this call's values.
   * `undefined` is refused rather than bound: SQL NULL is `null`.
   */
  run(db: Pick<Kysely<unknown>, 'executeQuery'>, params: Params): Promise<QueryResult<Row>> {
    const values = params as Record<string, unknown>;
    const parameters = this.slots.map((slot) => {
      if (!('name' in slot)) return slot.value;
      const value = values[slot.name];
      if (value === undefined) throw new Error(`prepared query: no value for "${slot.name}"`);
      return value;
    });
    return db.executeQuery({ ...this.compiled, parameters });
  }

  async all(db: Pick<Kysely<unknown>, 'executeQuery'>, params: Params): Promise<Row[]> {
    return (await this.run(db, params)).rows;
  }

  async takeFirst(
    db: Pick<Kysely<unknown>, 'executeQuery'>,
    params: Params,
  ): Promise<Row | undefined> {
    return (await this.run(db, params)).rows[0];
  }
}
