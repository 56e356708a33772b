import { askedPart } from '../providers/asked-part.js';
import { queryTerms } from './query-terms.js';

/** How many times the words of the question itself are listed when the query also tells a story. */
const QUESTION_WEIGHT = 2;

// What follows "without" up to the end of its clause: "… without restarting the app".
const WITHOUT_CLAUSE = /(?<=\bwithout\b)[^,.;:?!]*/giu;
// A code identifier in lower camel case: `setNotFoundHandler`, `bodyParser`. Each capital must
// start a lower-case word of two or more letters, so `mRNA`, `apoE4` or `scFv` are not split.
// A hump is a capital, exactly two lower-case letters, then any run: with `\p{Ll}{2,}` before
// the run, each hump's letters split between the two in many ways, and a query of glued humps
// that is no identifier (a `_` at its end) was tried in every combination of those splits
// (131 characters blocked the process for a minute). Both spellings match the same words.
const CAMEL_IDENTIFIER = /\b\p{Ll}{2,}(?:\p{Lu}\p{Ll}{2}[\p{Ll}\p{N}]*)+\b/gu;

/**
 * The terms lexical search ORs together for a user's query, a term listed twice weighing
 * double. Real questions often tell what happened before they ask ("I deployed on Docker, the
 * logs say X. How do I expose the port?"); the bag of words then lets a rare word of the story
 * outweigh the question. So, beyond `queryTerms`:
 *
 * - when a query of several sentences asks in some of them (`?`) and tells in others, the
 *   question's words count twice;
 * - in a query that asks, words found only after "without" in its clause are left out: they name
 *   what the asker wants to avoid ("test my routes without listening on a port"), and the
 *   section that answers rarely dwells on it;
 * - a camel-case identifier also brings its words (`bodyParser` → body, parser), since prose
 *   and headings spell them apart.
 *
 * A plain statement (a search box query, a SciFact claim) gets exactly `queryTerms`, plus
 * identifier parts.
 *
 * @example
 *   searchTerms('The logs say EADDRINUSE. How do I change the port?');
 *   // → ['logs', 'say', 'eaddrinuse', 'change', 'change', 'port', 'port']
 */
export function searchTerms(query: string): string[] {
  const excluded = query.includes('?') ? withoutClauseTerms(query) : new Set<string>();
  const all = queryTerms(query);
  const kept = all.filter((term) => !excluded.has(term));
  const terms = kept.length > 0 ? kept : all;
  const identifiers = identifierParts(query).filter((part) => !terms.includes(part));
  const focus = questionTerms(query);
  return [...terms, ...identifiers].flatMap((term) =>
    focus.has(term) ? Array<string>(QUESTION_WEIGHT).fill(term) : [term],
  );
}

/** Terms (identifier parts included) of the sentences that ask, when others only tell. */
function questionTerms(query: string): Set<string> {
  const text = askedPart(query);
  if (text === undefined) return new Set();
  return new Set([...queryTerms(text), ...identifierParts(text)]);
}

/** Terms that appear in "without …" clauses and nowhere else in the query. */
function withoutClauseTerms(query: string): Set<string> {
  const clauses = query.match(WITHOUT_CLAUSE);
  if (!clauses) return new Set();
  const elsewhere = new Set(queryTerms(query.replace(WITHOUT_CLAUSE, ' ')));
  return new Set(queryTerms(clauses.join(' ')).filter((term) => !elsewhere.has(term)));
}

function identifierParts(query: string): string[] {
  const identifiers = query.match(CAMEL_IDENTIFIER) ?? [];
  return queryTerms(
    identifiers.map((name) => name.replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')).join(' '),
  );
}
