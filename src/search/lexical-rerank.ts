import { contentTerms } from '../providers/content-words.js';
import type { Chunk, LexicalHit } from '../store/store.js';

/** Score factor per query word pair found side by side in a passage (stopwords between allowed). */
const PAIR_BOOST = 0.1;
/** Score factor for a passage whose own heading is made only of the question's words. */
const HEADING_BOOST = 0.3;

interface PassageWords {
  heading: string;
  text: string;
  pairs: Set<string>;
  title: string[];
}

// Searches keep meeting the same passages, and reading one is a tokenisation and stemming of up
// to 1,400 characters, so the last few thousand are kept by chunk id. A row id can come back with
// another text (a re-synced source, or another store in the same process), so an entry counts
// only while its heading and text are still the chunk's: comparing two strings is far cheaper
// than building and hashing a key from them for each of a search's 100 candidates.
const PASSAGES = new Map<number, PassageWords>();
const MAX_PASSAGES = 20_000;

/**
 * Reorders BM25 hits with two signals a bag of words misses. Proximity: each pair of the query's
 * consecutive content words ("log level", "every log line") that also stands together in the
 * passage raises its score by a tenth. Heading: a section whose own title consists of query
 * words only (`https`, "Route Prefixing", `bodyLimit`) is about what was asked, not a page that
 * mentions it, so its score rises by 30 %. Words compare stemmed, identifiers split at their
 * case changes. Factors, not additions, so BM25's scale and the order of unaffected hits stay.
 *
 * @example
 *   rerankLexical('change the log level', hits, chunksById); // → hits, best first
 */
export function rerankLexical(
  query: string,
  hits: LexicalHit[],
  chunks: ReadonlyMap<number, Chunk>,
): LexicalHit[] {
  const queryWords = words(query);
  const wanted = new Set(queryWords);
  const queryPairs = [...new Set(pairs(queryWords))];
  return hits
    .map((hit) => {
      const chunk = chunks.get(hit.chunkId);
      if (!chunk) return hit;
      const { pairs: present, title } = passageWords(chunk);
      const together = queryPairs.filter((pair) => present.has(pair)).length;
      const titled = title.length > 0 && title.every((word) => wanted.has(word));
      const factor = (1 + PAIR_BOOST * together) * (titled ? 1 + HEADING_BOOST : 1);
      return { ...hit, score: hit.score * factor };
    })
    .sort((left, right) => right.score - left.score);
}

function passageWords(chunk: Chunk): PassageWords {
  const known = PASSAGES.get(chunk.id);
  if (known && known.text === chunk.text && known.heading === chunk.heading) return known;
  const passage = {
    heading: chunk.heading,
    text: chunk.text,
    pairs: new Set(pairs(words(`${chunk.heading} ${chunk.text}`))),
    title: words(chunk.heading.split(' > ').at(-1) ?? ''),
  };
  if (!known && PASSAGES.size >= MAX_PASSAGES) PASSAGES.clear();
  PASSAGES.set(chunk.id, passage);
  return passage;
}

/** Stemmed content words, `setNotFoundHandler` read as "set Not Found Handler". */
function words(text: string): string[] {
  return contentTerms(text.replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2'));
}

function pairs(sequence: string[]): string[] {
  return sequence.slice(1).map((word, index) => `${sequence[index]} ${word}`);
}
