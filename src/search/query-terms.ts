/**
 * Turns free text into the words lexical search ORs together. Stemming is left to the index's
 * tokenizer (FTS5 porter, PostgreSQL english) so query and document words stem alike.
 */
const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being
  below between both but by can could did do does doing down during each few for from further had
  has have having he her here hers herself him himself his how i if in into is it its itself just
  me more most my myself no nor not of off on once only or other our ours ourselves out over own
  same she should so some such than that the their theirs them themselves then there these they
  this those through to too under until up very was we were what when where which while who whom
  why will with would you your yours yourself yourselves`.split(/\s+/),
);

const MAX_TERMS = 64;

/** Lower-cased content words of the query, stopwords removed, in first-seen order. */
export function queryTerms(text: string): string[] {
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .match(/[\p{L}\p{N}][\p{L}\p{N}_'-]*/gu);
  if (!words) return [];
  const terms = new Set<string>();
  for (const raw of words) {
    const word = raw.replace(/['-]+$/u, '').replace(/'s$/u, '');
    if (word.length === 0 || STOPWORDS.has(word)) continue;
    terms.add(word);
    if (terms.size >= MAX_TERMS) break;
  }
  // A query of stopwords only ("what is it") still deserves a search.
  if (terms.size === 0) return [...new Set(words)].slice(0, MAX_TERMS);
  return [...terms];
}
