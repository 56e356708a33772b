/**
 * The built-in, offline chat provider: no model, no network. It answers by quoting the sentences
 * of the retrieved passages that best cover the question's words, each cited as `[n]`, so Keel
 * gives grounded answers on a fresh machine with no API key.
 */
import { contentTerms } from './content-words.js';
import { passageSentences } from './extractive-text.js';
import type {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  Passage,
} from './provider.js';
import { estimateTokens } from './provider.js';

/** Opens every extractive answer, so nobody mistakes quotes for a model's reasoning. */
export const EXTRACTIVE_PREFACE =
  'Extractive answer (composed without a language model) — quoted from the knowledge base:';

export const EXTRACTIVE_NO_SUPPORT =
  'Nothing in the knowledge base answers this question, so this extractive answer has nothing to quote. Try rephrasing it with the words the documentation uses, or add a knowledge source that covers it.';

export interface ExtractiveOptions {
  /** Most sentences quoted in one answer; default 4. */
  maxSentences?: number;
}

interface Candidate {
  passage: Passage;
  passageRank: number;
  position: number;
  text: string;
  terms: Set<string>;
  coverage: number;
  score: number;
}

// A sentence must carry at least half the question's weight, or a quarter when it matches two
// telling words. Below that it shares words with the question, not its topic.
const SINGLE_TERM_SUPPORT = 0.5;
const MULTI_TERM_SUPPORT = 0.25;
// Sentences far weaker than the best one dilute the answer instead of completing it.
const RELATIVE_SUPPORT = 0.5;
const REDUNDANT_OVERLAP = 0.6;
const UBIQUITOUS_WEIGHT = 0.5;
const MIN_PASSAGES_FOR_UBIQUITY = 3;
const COMFORTABLE_WORDS = 40;
const RANK_BONUS = 0.1;

/**
 * How much each question word counts: words found in fewer passages tell more (IDF-like). A word
 * in every one of several passages ("keel" in Keel's docs) tells least of all.
 */
function termWeights(questionTerms: string[], passageTerms: Set<string>[]): Map<string, number> {
  const count = passageTerms.length;
  return new Map(
    questionTerms.map((term) => {
      const frequency = passageTerms.filter((terms) => terms.has(term)).length;
      const ubiquitous = count >= MIN_PASSAGES_FOR_UBIQUITY && frequency === count;
      return [term, ubiquitous ? UBIQUITOUS_WEIGHT : 1 + Math.log((count + 1) / (frequency + 1))];
    }),
  );
}

/** The question's content words, and each adjacent pair joined ("roll back" → "rollback"). */
function readQuestion(question: string): { terms: string[]; joinedPairs: Map<string, string[]> } {
  const words = contentTerms(question);
  const joinedPairs = new Map<string, string[]>();
  words.slice(1).forEach((word, position) => {
    const previous = words[position] ?? '';
    joinedPairs.set(previous + word, [previous, word]);
  });
  return { terms: [...new Set(words)], joinedPairs };
}

/**
 * A sentence's terms; one containing a joined pair also counts its parts, so a question written
 * in two words ("roll back") still meets the documentation's one ("rollback").
 */
function sentenceTerms(text: string, joinedPairs: Map<string, string[]>): Set<string> {
  const terms = new Set(contentTerms(text));
  for (const [joined, parts] of joinedPairs) {
    if (terms.has(joined)) parts.forEach((part) => terms.add(part));
  }
  return terms;
}

function jaccard(left: Set<string>, right: Set<string>): number {
  let shared = 0;
  for (const term of left) if (right.has(term)) shared += 1;
  const union = left.size + right.size - shared;
  return union === 0 ? 1 : shared / union;
}

/** The supported sentences of the passages, best first. */
function rankCandidates(question: string, passages: Passage[]): Candidate[] {
  const { terms: questionTerms, joinedPairs } = readQuestion(question);
  if (questionTerms.length === 0) return [];
  const sentences = passages.map((passage) =>
    passageSentences(passage.text).map((text) => ({
      text,
      terms: sentenceTerms(text, joinedPairs),
    })),
  );
  const weights = termWeights(
    questionTerms,
    sentences.map((list) => new Set(list.flatMap((sentence) => [...sentence.terms]))),
  );
  const totalWeight = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  const candidates = sentences.flatMap((list, passageRank) =>
    list.map(({ text, terms }, position): Candidate => {
      const matched = questionTerms.filter((term) => terms.has(term));
      const coverage =
        matched.reduce((sum, term) => sum + (weights.get(term) ?? 0), 0) / totalWeight;
      const lengthFactor = Math.min(1, Math.sqrt(COMFORTABLE_WORDS / text.split(/\s+/).length));
      const rankBonus = (RANK_BONUS * (passages.length - passageRank)) / passages.length;
      const passage = passages[passageRank] as Passage;
      const telling = matched.filter((term) => weights.get(term) !== UBIQUITOUS_WEIGHT);
      const supported =
        coverage >= SINGLE_TERM_SUPPORT || (telling.length >= 2 && coverage >= MULTI_TERM_SUPPORT);
      const score = supported ? coverage * lengthFactor + rankBonus : 0;
      return { passage, passageRank, position, text, terms, coverage, score };
    }),
  );
  // Ties fall back to retrieval rank and reading order, keeping answers deterministic.
  return candidates
    .filter((candidate) => candidate.score > 0)
    .sort(
      (left, right) =>
        right.score - left.score ||
        left.passageRank - right.passageRank ||
        left.position - right.position,
    );
}

/** Up to `limit` non-redundant candidates, grouped by passage (strongest first), in reading order. */
function selectSentences(ranked: Candidate[], limit: number): Candidate[][] {
  const best = ranked[0];
  if (!best) return [];
  const chosen: Candidate[] = [];
  for (const candidate of ranked) {
    if (chosen.length >= limit) break;
    if (candidate.coverage < best.coverage * RELATIVE_SUPPORT) continue;
    if (chosen.some((other) => jaccard(other.terms, candidate.terms) > REDUNDANT_OVERLAP)) continue;
    chosen.push(candidate);
  }
  const groups = new Map<number, Candidate[]>();
  for (const candidate of chosen) {
    groups.set(candidate.passageRank, [...(groups.get(candidate.passageRank) ?? []), candidate]);
  }
  return [...groups.values()].map((group) =>
    group.sort((left, right) => left.position - right.position),
  );
}

/** `text [n].` — the marker sits before the closing punctuation so it stays inside the sentence. */
function cite(text: string, index: number): string {
  const match = /^(.*?)([.!]+["')\]]*)?$/s.exec(text);
  const body = (match?.[1] ?? text).trimEnd();
  return `${body} [${index}]${match?.[2] ?? '.'}`;
}

/**
 * The answer as the pieces it is streamed in: the preface, then one paragraph per passage quoted.
 */
export function composeExtractiveAnswer(
  request: Pick<ChatRequest, 'question' | 'passages'>,
  maxSentences = 4,
): string[] {
  const groups = selectSentences(rankCandidates(request.question, request.passages), maxSentences);
  if (groups.length === 0) return [EXTRACTIVE_NO_SUPPORT];
  const paragraphs = groups.map((group) =>
    group.map((candidate) => cite(candidate.text, candidate.passage.index)).join(' '),
  );
  return [
    `${EXTRACTIVE_PREFACE}\n\n`,
    ...paragraphs.map((text, at) => (at > 0 ? `\n\n${text}` : text)),
  ];
}

/**
 * Quotes instead of generating, so `temperature` and `maxOutputTokens` do not apply: the answer
 * is bounded by `maxSentences` and the same question over the same passages gives the same text.
 */
export class ExtractiveChatProvider implements ChatProvider {
  readonly name = 'extractive';
  readonly model = 'extractive-v1';
  private readonly maxSentences: number;

  constructor(options: ExtractiveOptions = {}) {
    this.maxSentences = options.maxSentences ?? 4;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    return this.result(request, composeExtractiveAnswer(request, this.maxSentences).join(''));
  }

  async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const pieces = composeExtractiveAnswer(request, this.maxSentences);
    for (const text of pieces) {
      request.signal?.throwIfAborted();
      yield { type: 'delta', text };
    }
    yield { type: 'done', result: this.result(request, pieces.join('')) };
  }

  private result(request: ChatRequest, text: string): ChatResult {
    request.signal?.throwIfAborted();
    const read = [request.question, ...request.passages.map((passage) => passage.text)].join('\n');
    return {
      text,
      usage: { inputTokens: estimateTokens(read), outputTokens: estimateTokens(text) },
      provider: this.name,
      model: this.model,
      finishReason: 'stop',
    };
  }
}
