/**
 * What the extractive provider reads from a question: its content words, the kind of answer it
 * asks for, and — for "What is X?" — the subject X.
 */
import { askedPart } from './asked-part.js';
import { contentTerms } from './content-words.js';

export type QuestionKind = 'definition' | 'how-to' | 'document' | 'other';

export interface ReadQuestion {
  kind: QuestionKind;
  terms: string[];
  /** Adjacent words joined ("roll back" → "rollback"), so the documentation's one word matches. */
  joinedPairs: Map<string, string[]>;
  /** For a definition question, the subject's content words ("Ferrite Box" → ferrit, box). */
  subject: string[];
}

const DEFINITION = /^\s*(?:what|who)\s*(?:is|are|'s)\s+(?:an?\s+|the\s+)?(.+?)[\s?.!]*$/i;
const HOW_TO =
  /^\s*(?:how\s+(?:do|does|can|could|should|would|to|may)\b|how\s+\w+\s+i\b|steps?\b|what\s+(?:are\s+)?the\s+steps\b|(?:explain|show\s+me)\s+how\b)|\b(?:set\s*up|install|configure|enable|reset|create|add|remove|delete|update|upgrade|change|replace|connect|restore)\b.*\?\s*$/i;

// "Write a short guide to setting up X": a generation job asking for a document, not an answer.
const DOCUMENT =
  /^\s*(?:please\s+)?(?:write|draft|compose|produce|create|prepare)\b.{0,60}\b(?:guide|document|overview|summary|article|page|manual|tutorial|handbook|how-to)\b/i;

/**
 * What a message asks. In a message that also tells or instructs ("Always answer in English. How
 * do I add a git source?"), only the asking sentences are read: the others' words would have to
 * be found in the documentation for an answer to count as supported.
 */
export function readQuestion(message: string): ReadQuestion {
  const question = askedPart(message) ?? message;
  // A document request's own words ("write a short guide") say nothing about its topic.
  const request = DOCUMENT.exec(question);
  const words = contentTerms(request ? question.slice(request[0].length) : question);
  const joinedPairs = new Map<string, string[]>();
  words.slice(1).forEach((word, position) => {
    const previous = words[position] ?? '';
    joinedPairs.set(previous + word, [previous, word]);
  });
  const definition = DEFINITION.exec(question);
  const kind: QuestionKind = DOCUMENT.test(question)
    ? 'document'
    : definition
      ? 'definition'
      : HOW_TO.test(question) && !/^\s*how\s+(?:long|many|much|often|old)\b/i.test(question)
        ? 'how-to'
        : 'other';
  return {
    kind,
    terms: [...new Set(words)],
    joinedPairs,
    subject: definition ? contentTerms(definition[1] ?? '') : [],
  };
}

/**
 * A text's terms; one containing a joined pair also counts its parts, so a question written in
 * two words ("roll back") still meets the documentation's one ("rollback").
 */
export function termsOf(text: string, joinedPairs: Map<string, string[]>): Set<string> {
  const terms = new Set(contentTerms(text));
  for (const [joined, parts] of joinedPairs) {
    if (terms.has(joined)) parts.forEach((part) => terms.add(part));
  }
  return terms;
}

const UBIQUITOUS_WEIGHT = 0.5;
const MIN_PASSAGES_FOR_UBIQUITY = 3;

/**
 * How much each question word counts: words found in fewer passages tell more (IDF-like). A word
 * in every one of several passages ("keel" in Keel's docs) tells least of all.
 */
export function termWeights(
  questionTerms: string[],
  passageTerms: Set<string>[],
): Map<string, number> {
  const count = passageTerms.length;
  return new Map(
    questionTerms.map((term) => {
      const frequency = passageTerms.filter((terms) => terms.has(term)).length;
      const ubiquitous = count >= MIN_PASSAGES_FOR_UBIQUITY && frequency === count;
      return [term, ubiquitous ? UBIQUITOUS_WEIGHT : 1 + Math.log((count + 1) / (frequency + 1))];
    }),
  );
}

export function isUbiquitous(weight: number | undefined): boolean {
  return weight === UBIQUITOUS_WEIGHT;
}
