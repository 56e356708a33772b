import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Param, type PreparedQuery, prepareQuery } from './prepared-query.js';
import type { Database } from './schema.js';
import type { LexicalHit } from './store.js';

/** BM25 parameters, as SQLite FTS5's `bm25()` uses them. */
const K1 = 1.2;
const B = 0.75;
/**
 * `ts_rank_cd` of a one-lexeme query sums the weights of the lexeme's positions; with heading
 * (A) at 1 and text (B) at 0.5, twice that is the term frequency with heading words counted
 * double, as the SQLite index weighs its heading column 2.0 against 1.0.
 */
const POSITION_WEIGHTS = '{0, 0, 0.5, 1}';

interface QueryLexeme {
  /** The lexeme as a quoted tsquery literal: matched as-is, never parsed as query syntax. */
  literal: string;
  /** How many chunks contain it. */
  documents: number;
  /** How many times the query lists the term it comes from (the most, if several stem to it). */
  weight: number;
}

interface CorpusStatistics {
  chunks: number;
  meanTokens: number;
}

/**
 * Okapi BM25 over the weighted `tsvector`, the same scoring as the SQLite FTS5 path (PostgreSQL's
 * own `ts_rank_cd` has no inverse document frequency and ranks SciFact far worse: nDCG@10 0.44
 * against 0.69; see `bench/retrieval-postgres.ts`). Two round trips: the terms' lexemes with their
 * document frequencies, then one indexed OR match whose rows are scored in a single expression.
 * Corpus size and mean length come from `chunk_statistics`, which triggers keep current.
 */
export async function lexicalSearchPostgres(
  db: Kysely<Database>,
  terms: string[],
  options: { k: number; sourceIds?: string[] },
): Promise<LexicalHit[]> {
  if (terms.length === 0 || options.sourceIds?.length === 0) return [];
  const { lexemes, corpus } = await lexemeStatistics(db, terms);
  if (lexemes.length === 0 || corpus.chunks === 0) return [];
  const sourceFilter = options.sourceIds
    ? sql`and c.source_id in (${sql.join(options.sourceIds)})`
    : sql``;
  const frequencies = lexemes.map(
    (lexeme, index) =>
      sql`2 * ts_rank_cd(${POSITION_WEIGHTS}::real[], d.vector, ${lexeme.literal}::tsquery, 0) as ${sql.ref(`f${index}`)}`,
  );
  const score = sql.join(
    lexemes.map((lexeme, index) =>
      termScore(lexeme.weight * inverseDocumentFrequency(lexeme, corpus), index),
    ),
    sql` + `,
  );
  const anyLexeme = lexemes.map((lexeme) => lexeme.literal).join(' | ');
  const result = await sql<LexicalHit>`
    select c.id as "chunkId", ${score} as score
    from chunks c
    cross join lateral (
      -- One copy of the row's vector for all the frequencies below: each reading the column
      -- itself made a search on SciFact (9 query lexemes, 2,900 matching chunks) 60 % slower.
      select c.search_vector || ''::tsvector as vector
      offset 0
    ) d
    cross join lateral (
      -- offset 0 keeps this a subquery, so each frequency is computed once per row
      select ${sql.lit(K1)} * (${sql.lit(1 - B)} + ${sql.lit(B)} * c.token_count / ${corpus.meanTokens}::float8) as saturation,
        ${sql.join(frequencies)}
      offset 0
    ) t
    where c.search_vector @@ ${anyLexeme}::tsquery ${sourceFilter}
    order by score desc, c.id
    limit ${options.k}`.execute(db);
  return result.rows;
}

/** One lexeme's BM25 term: idf · f·(k1+1) / (f + k1·(1 − b + b·length/mean length)). */
function termScore(idf: number, index: number): RawBuilder<number> {
  const frequency = sql.ref(`t.f${index}`);
  return sql<number>`${idf}::float8 * ${frequency} * ${sql.lit(K1 + 1)} / (${frequency} + t.saturation)`;
}

/** FTS5's idf, floored just above zero so a word in most chunks still counts a little. */
function inverseDocumentFrequency(lexeme: QueryLexeme, corpus: CorpusStatistics): number {
  const idf = Math.log((corpus.chunks - lexeme.documents + 0.5) / (lexeme.documents + 0.5));
  return Math.max(idf, 1e-6);
}

/**
 * Stems the terms with the same `english` configuration as the index, quotes each lexeme as a
 * tsquery literal (backslash before `\` and `'`) and counts the chunks holding it through the GIN
 * index.
 */
async function lexemeStatistics(
  db: Kysely<Database>,
  terms: string[],
): Promise<{ lexemes: QueryLexeme[]; corpus: CorpusStatistics }> {
  // One shape for any terms (an array parameter): compiled on first use, kept prepared.
  statistics ??= prepareQuery('lexeme-statistics', (param: Param<{ terms: string[] }>) =>
    statisticsQuery(param('terms')).compile(db),
  );
  const rows = await statistics.all(db, { terms });
  const first = rows[0];
  const chunks = Number(first?.chunks ?? 0);
  const corpus = { chunks, meanTokens: chunks > 0 ? Number(first?.tokens) / chunks : 1 };
  const lexemes = rows
    .filter((row) => row.literal !== null)
    .map((row) => ({
      literal: row.literal,
      documents: Number(row.documents),
      weight: Number(row.weight),
    }));
  return { lexemes, corpus };
}

type StatisticsRow = QueryLexeme & { chunks: number; tokens: number };

let statistics: PreparedQuery<{ terms: string[] }, StatisticsRow> | undefined;

function statisticsQuery(terms: string[]): RawBuilder<StatisticsRow> {
  // `materialized` with the tsquery as a column: inlined, the literal was rebuilt and parsed
  // (regexp_replace, ::tsquery) for every chunk the count below tests, 1.2 -> 0.97 ms of
  // PostgreSQL CPU per search on the bundled knowledge (268 chunks, same rows).
  return sql<StatisticsRow>`
    with lexemes as materialized (
      select literal, weight, literal::tsquery as query
      from (
        -- A term listed n times weighs n; different words of one stem ("cell", "cells") weigh
        -- as one, as before weights existed (SciFact nDCG@10 0.6933 when they add up, 0.6964 not).
        select '''' || regexp_replace(lexeme, '([\\''])', '\\\\\\1', 'g') || '''' as literal,
          max(listed.times) as weight
        from (select term, count(*) as times from unnest(${terms}::text[]) as term group by term) listed,
          unnest(tsvector_to_array(to_tsvector('english', listed.term))) as lexeme
        group by lexeme
      ) quoted
    ),
    corpus as (
      select coalesce(sum(chunks), 0) as chunks, coalesce(sum(tokens), 0) as tokens
      from chunk_statistics
    )
    select corpus.chunks, corpus.tokens, lexemes.literal, lexemes.weight,
      (select count(*) from chunks where search_vector @@ lexemes.query) as documents
    from corpus left join lexemes on true
    order by lexemes.literal`;
}
