/**
 * Content words for comparing texts: the extractive provider ranks sentences with them and the
 * governor's grounding check measures support with them, so both agree on what a word is.
 * Deliberately simple and deterministic: it compares a handful of passages, not a corpus.
 */

const STOPWORDS = new Set(
  `a about above after again all also am an and any are as at be because been before being below
  between both but by can could did do does doing done down during each either else every few for
  from further get gets got had has have having he her here hers him his how i if in into is it its
  just let may me might more most must my no nor not of off on once one only or other our ours out
  over own per please same shall she should so some such than that the their theirs them then there
  these they this those through to too under until up upon us very via want was we were what when
  where which while who whom whose why will with within without would yes yet you your yours
  come comes came go goes went make makes made need needs know tell work works way thing things
  something anything happen happens`.split(/\s+/),
);

// Irregular forms the suffix rules below cannot reach but questions use all the time.
const IRREGULAR: Record<string, string> = {
  used: 'use',
  uses: 'use',
  using: 'use',
  usage: 'use',
  ran: 'run',
  began: 'begin',
  chosen: 'choose',
  written: 'write',
  wrote: 'write',
};

// Every answer is checked word by word against its passages, and the same few thousand words
// recur; a bounded memo spares the dozen regular expressions per word. Cleared when full.
const STEMS = new Map<string, string>();
const MAX_STEMS = 50_000;

/**
 * A light stemmer: enough that "policies"/"policy", "rolled"/"rolling"/"roll" and
 * "configure"/"configuration"/"configured" meet, without a dictionary.
 */
export function stem(word: string): string {
  const known = STEMS.get(word);
  if (known !== undefined) return known;
  const stemmed = stemWord(word);
  if (STEMS.size >= MAX_STEMS) STEMS.clear();
  STEMS.set(word, stemmed);
  return stemmed;
}

function stemWord(word: string): string {
  const irregular = IRREGULAR[word];
  if (irregular) word = irregular;
  if (word.length <= 3) return word;
  let stemmed = word
    .replace(/(?<=\w{2})ies$/, 'y')
    .replace(/sses$/, 'ss')
    .replace(/(?<=(?:x|z|ch|sh))es$/, '')
    .replace(/(?<=\w{2}[^sui])s$/, '');
  stemmed = stemmed.replace(/(?<=\w{4})ations?$/, '').replace(/(?<=\w{4})ly$/, '');
  const inflected = stemmed.replace(/(?<=\w{3})ing$/, '').replace(/(?<=\w{4})ed$/, '');
  if (inflected !== stemmed) {
    // "stopped" → "stopp" → "stop", but "rolled" keeps its double l ("roll").
    stemmed = inflected.replace(/([b-df-hj-km-np-tv-z])\1$/, (pair, letter: string) =>
      'lsz'.includes(letter) ? pair : letter,
    );
  }
  return stemmed.length > 3 ? stemmed.replace(/e$/, '') : stemmed;
}

/** Stemmed content words of a text in order, stopwords removed (duplicates kept). */
export function contentTerms(text: string): string[] {
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((word) => word.length > 1 && !STOPWORDS.has(word)).map(stem);
}
