import { contentTerms } from '../providers/content-words.js';

export interface AnswerSentence {
  text: string;
  /** Passage indexes cited right after the sentence, e.g. `[1][3]` or `[1, 3]`. */
  citations: number[];
}

const CITATION = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
const BOUNDARY = /([.!?]["')\]]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*)(?=\s|$)|\n+/g;

/** Splits an answer into sentences, each with the citation markers that follow it. */
export function splitSentences(answer: string): AnswerSentence[] {
  const sentences: AnswerSentence[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = answer.slice(start, end).trim();
    start = end;
    if (!raw) return;
    const citations = [...raw.matchAll(CITATION)].flatMap((match) =>
      (match[1] ?? '').split(',').map((part) => Number(part.trim())),
    );
    const text = raw
      .replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '')
      .replace(/\s+/g, ' ')
      .trim();
    // A lone marker after a line break belongs to the sentence before it.
    if (!text && sentences.length > 0)
      sentences[sentences.length - 1]!.citations.push(...citations);
    else if (text) sentences.push({ text, citations });
  };
  for (const match of answer.matchAll(BOUNDARY)) push((match.index ?? 0) + match[0].length);
  push(answer.length);
  return sentences;
}

export function contentWords(text: string): Set<string> {
  return new Set(contentTerms(text));
}

/** Share of the sentence's content words present in the supporting text (1 when it has none). */
export function supportRatio(sentence: string, supporting: Set<string>): number {
  const words = [...contentWords(sentence)];
  if (words.length === 0) return 1;
  return words.filter((word) => supporting.has(word)).length / words.length;
}

/** Word 6-grams of a text, to spot verbatim leaks of a prompt. */
export function shingles(text: string, size = 6): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const result = new Set<string>();
  for (let position = 0; position + size <= words.length; position += 1) {
    result.add(words.slice(position, position + size).join(' '));
  }
  return result;
}

const CODE = /(```[\s\S]*?(?:```|$)|`[^`\n]*`)/;

/**
 * Renumbers citation markers 1..n in the order they are first used, so a reader sees [1] [2] [3]
 * rather than the retrieval ranks ([1] [3] [5]). Markers naming no known passage are dropped;
 * code is left alone. Returns the text and each known index's new number.
 */
export function renumberCitations(
  answer: string,
  known: Set<number>,
): { text: string; numbers: Map<number, number> } {
  const numbers = new Map<number, number>();
  const renumber = (index: number) => {
    if (!numbers.has(index)) numbers.set(index, numbers.size + 1);
    return numbers.get(index)!;
  };
  const text = answer
    .split(CODE)
    .map((part, at) =>
      at % 2 === 1
        ? part
        : part.replace(/[ \t]*\[(\d+(?:\s*,\s*\d+)*)\]/g, (marker, list: string) => {
            const indexes = list.split(',').map((item) => Number(item.trim()));
            const valid = indexes.filter((index) => known.has(index));
            if (valid.length === 0) return '';
            const lead = /^[ \t]/.test(marker) ? ' ' : '';
            return `${lead}[${valid.map(renumber).join(', ')}]`;
          }),
    )
    .join('');
  return { text, numbers };
}
