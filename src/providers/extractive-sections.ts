/**
 * The retrieved passages as sections the extractive provider can weigh: what each is about (its
 * heading path counts as much as its body), whether it is a procedure, whether it defines the
 * subject of a "What is X?" question.
 */
import { contentTerms } from './content-words.js';
import { type MarkdownBlock, markdownBlocks } from './extractive-blocks.js';
import { passageSentences } from './extractive-text.js';
import { type ReadQuestion, isUbiquitous, termWeights, termsOf } from './extractive-question.js';
import type { Passage } from './provider.js';

export interface Sentence {
  text: string;
  terms: Set<string>;
  position: number;
}

export interface Section {
  passage: Passage;
  rank: number;
  /** The innermost heading, e.g. "Factory reset". */
  title: string;
  titleTerms: Set<string>;
  /** Every word of the section: headings and body. */
  terms: Set<string>;
  /** Blocks below the heading: what a procedure answer quotes. */
  blocks: MarkdownBlock[];
  sentences: Sentence[];
  /** Weighted share of the question's words the section holds (title, body, outer headings). */
  coverage: number;
  /** Question words that tell something (not in every passage) found in the section. */
  telling: number;
  /** Starts its body by saying what the question's subject is ("Ferrite Box is …"). */
  defines: boolean;
  score: number;
}

// Where a question word is found says how much the section is about it.
const IN_TITLE = 1;
const IN_BODY = 0.75;
const IN_OUTER_HEADING = 0.4;
// Up to this much for how well search ranked the passage: its score as a share of the best one's
// (a 4× lead counts as one), or its place in the list when scores are not comparable.
const RETRIEVAL_BONUS = 0.1;
const DEFINES_BONUS = 0.35;
const OVERVIEW_BONUS = 0.1;
const OVERVIEW_PATH = /(?:^|\/)(?:readme|index|overview|introduction|intro|about)\.[a-z]+$/i;
// A section carries the question's topic when it holds half its weight, or a quarter with two
// telling words; below that it only shares words with it.
const SINGLE_TERM_SUPPORT = 0.5;
const MULTI_TERM_SUPPORT = 0.25;

export function isSupported(section: Pick<Section, 'coverage' | 'telling'>): boolean {
  return (
    section.coverage >= SINGLE_TERM_SUPPORT ||
    (section.telling >= 2 && section.coverage >= MULTI_TERM_SUPPORT)
  );
}

/** Procedures are answered whole: steps, commands or tables, or a body short enough to read. */
export function isProcedure(section: Section): boolean {
  const body = section.blocks.reduce((sum, block) => sum + block.markdown.length, 0);
  return section.blocks.some((block) => block.kind !== 'paragraph') || body <= 600;
}

function definesSubject(subject: string[], sentences: Sentence[]): boolean {
  if (subject.length === 0) return false;
  return sentences.slice(0, 2).some((sentence) => {
    const lead = contentTerms(sentence.text).slice(0, subject.length + 1);
    return (
      subject.every((term) => lead.includes(term)) &&
      /^[^.:]{0,80}?\b(?:is|are)\b/i.test(sentence.text)
    );
  });
}

/** Every passage as a section, scored against the question; best first. */
export function rankSections(question: ReadQuestion, passages: Passage[]): Section[] {
  const parsed = passages.map((passage, rank) => {
    const path = passage.heading.split(' > ');
    const title = path.at(-1) ?? '';
    const blocks = markdownBlocks(passage.text).filter((block) => block.kind !== 'heading');
    const sentences = passageSentences(passage.text).map((text, position) => ({
      text,
      terms: termsOf(text, question.joinedPairs),
      position,
    }));
    const bodyTerms = new Set(sentences.flatMap((sentence) => [...sentence.terms]));
    // Lead-ins ("To get back a deleted file:") are no quotable sentence but say what it is about.
    blocks.forEach((block) =>
      termsOf(block.markdown, question.joinedPairs).forEach((term) => bodyTerms.add(term)),
    );
    return {
      passage,
      rank,
      title,
      titleTerms: termsOf(title, question.joinedPairs),
      outerTerms: termsOf(path.slice(0, -1).join(' '), question.joinedPairs),
      blocks,
      sentences,
      bodyTerms,
    };
  });
  const weights = termWeights(
    question.terms,
    parsed.map((entry) => new Set([...entry.titleTerms, ...entry.bodyTerms])),
  );
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0) || 1;
  const best = Math.max(...passages.map((passage) => passage.score));
  const retrievalShare = (passage: Passage, rank: number) =>
    best > 0 && passage.score >= 0
      ? passage.score / best
      : (passages.length - rank) / passages.length;
  const sections = parsed.map(({ outerTerms, bodyTerms, ...entry }): Section => {
    let found = 0;
    let telling = 0;
    for (const term of question.terms) {
      const where = entry.titleTerms.has(term)
        ? IN_TITLE
        : bodyTerms.has(term)
          ? IN_BODY
          : outerTerms.has(term)
            ? IN_OUTER_HEADING
            : 0;
      found += where * (weights.get(term) ?? 0);
      if (where > 0 && !isUbiquitous(weights.get(term))) telling += 1;
    }
    const coverage = found / total;
    const terms = new Set([...entry.titleTerms, ...outerTerms, ...bodyTerms]);
    const defines =
      question.kind === 'definition' && definesSubject(question.subject, entry.sentences);
    const overview =
      question.kind === 'definition' &&
      (OVERVIEW_PATH.test(entry.passage.path) || entry.passage.heading.split(' > ').length <= 1);
    const score =
      coverage +
      (defines ? DEFINES_BONUS : 0) +
      (overview ? OVERVIEW_BONUS : 0) +
      RETRIEVAL_BONUS * retrievalShare(entry.passage, entry.rank);
    return { ...entry, terms, coverage, telling, defines, score };
  });
  return sections
    .filter((section) => section.blocks.length > 0)
    .sort((left, right) => right.score - left.score || left.rank - right.rank);
}
