/**
 * The built-in, offline chat provider: no model, no network. It finds the retrieved section that
 * answers the question — its heading counts as much as its text — and quotes it, citing each
 * quote as `[n]`: a procedure with its steps and commands intact, a definition from the section
 * that defines the subject, otherwise the sentences that best cover the question.
 */
import { askedPart } from './asked-part.js';
import { contentTerms } from './content-words.js';
import { withoutCitationMarkers, type MarkdownBlock } from './extractive-blocks.js';
import { passageSentences } from './extractive-text.js';
import { type ReadQuestion, readQuestion } from './extractive-question.js';
import {
  type Section,
  type Sentence,
  isProcedure,
  isSupported,
  rankSections,
} from './extractive-sections.js';
import {
  CHAT_PORT_VERSION,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
  type Passage,
} from './provider.js';
import { countTokens } from './token-count.js';

export interface ExtractiveOptions {
  /** Most sentences quoted in one answer that is not a procedure; default 4. */
  maxSentences?: number;
}

/** The answer in the pieces it is streamed in, and whether it declined to answer. */
export interface ExtractiveAnswer {
  pieces: string[];
  declined: boolean;
}

// A procedure is quoted block by block up to this many characters (a first block always fits).
const PROCEDURE_CHARS = 1_600;
// Sentences far weaker than the best one dilute the answer instead of completing it.
const RELATIVE_SUPPORT = 0.5;
const REDUNDANT_OVERLAP = 0.6;
const COMFORTABLE_WORDS = 40;
const IN_SECTION_TITLE = 0.5;
const SECTION_WEIGHT = 0.3;

/** `text [n].` — the marker goes before the closing punctuation (and emphasis), after the words. */
function cite(text: string, index: number): string {
  const match = /^(.*?)([.!?:;]?(?:\*\*|__|[*_"')\]])*[.!?:;]?)\s*$/s.exec(text);
  const body = (match?.[1] ?? text).trimEnd();
  const tail = match?.[2] ?? '';
  return `${body} [${index}]${tail || '.'}`;
}

function citeBlock(block: MarkdownBlock, index: number): string {
  const markdown = withoutCitationMarkers(block);
  if (block.kind === 'paragraph') return cite(markdown, index);
  if (block.kind !== 'list') return markdown;
  const lines = markdown.split('\n');
  const last = lines.length - 1;
  lines[last] = cite(lines[last] ?? '', index);
  return lines.join('\n');
}

/** The section's blocks as they stand, up to a reading budget, each prose block cited. */
function procedureAnswer(section: Section): string[] {
  const { index } = section.passage;
  const pieces: string[] = [];
  let used = 0;
  for (const block of section.blocks) {
    if (pieces.length > 0 && used + block.markdown.length > PROCEDURE_CHARS) break;
    used += block.markdown.length;
    pieces.push(citeBlock(block, index));
  }
  // Only a table or code was quoted: the citation goes on a line of its own below it.
  if (!pieces.some((piece) => piece.includes(`[${index}]`))) pieces.push(`[${index}]`);
  return pieces;
}

// A generated document quotes at most this many sections, each under its own heading.
const DOCUMENT_SECTIONS = 6;

const TITLE_CHARS = 80;

/**
 * The document's title, from the request: "Write a short guide to setting up the box" is titled
 * "A short guide to setting up the box"; a request that names nothing takes the first heading.
 */
export function documentTitle(request: string, sections: Section[]): string {
  const topic = request
    .replace(/^\s*(?:please\s+)?(?:write|draft|compose|produce|create|prepare)\s+(?:me\s+)?/i, '')
    .replace(/[\s?.!:;]+$/, '')
    .replace(/\s+/g, ' ');
  const words = topic.split(' ');
  let title = '';
  for (const word of words) {
    if (title.length + word.length + 1 > TITLE_CHARS) break;
    title = title ? `${title} ${word}` : word;
  }
  if (title.length < topic.length) title = `${title}…`;
  if (title === '') title = sections[0]?.title ?? 'Document';
  return title.charAt(0).toLocaleUpperCase() + title.slice(1);
}

/**
 * Offline generation ("Write a short guide to …"): a titled, structured, cited Markdown document
 * of the relevant sections, each under its heading, in order of relevance.
 */
function documentAnswer(request: string, sections: Section[]): string[] {
  return [
    `# ${documentTitle(request, sections)}`,
    ...sections
      .slice(0, DOCUMENT_SECTIONS)
      .flatMap((section) => [`## ${section.title}`, ...procedureAnswer(section)]),
  ];
}

/** The defining paragraph of the section, sentence by sentence. */
function definitionAnswer(section: Section, maxSentences: number): string[] {
  const paragraph = section.blocks.find((block) => block.kind === 'paragraph');
  const sentences = paragraph ? passageSentences(paragraph.markdown).slice(0, maxSentences) : [];
  if (sentences.length === 0) return procedureAnswer(section);
  return [sentences.map((text) => cite(text, section.passage.index)).join(' ')];
}

interface Candidate {
  section: Section;
  sentence: Sentence;
  coverage: number;
  score: number;
}

function jaccard(left: Set<string>, right: Set<string>): number {
  let shared = 0;
  for (const term of left) if (right.has(term)) shared += 1;
  const union = left.size + right.size - shared;
  return union === 0 ? 1 : shared / union;
}

/**
 * The best-covering sentences of the supported sections, grouped by section (strongest first), in
 * reading order. A word found only in the sentence's heading counts half: the section is about
 * it, the sentence may not be.
 */
function sentenceAnswer(
  question: ReadQuestion,
  sections: Section[],
  maxSentences: number,
): string[] {
  const best = sections[0];
  if (!best) return [];
  const weights = new Map(question.terms.map((term) => [term, weightIn(term, sections)]));
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0) || 1;
  const candidates: Candidate[] = sections.flatMap((section) =>
    section.sentences.map((sentence) => {
      let found = 0;
      for (const term of question.terms) {
        const weight = weights.get(term) ?? 0;
        if (sentence.terms.has(term)) found += weight;
        else if (section.titleTerms.has(term)) found += IN_SECTION_TITLE * weight;
      }
      const coverage = found / total;
      const lengthFactor = Math.min(
        1,
        Math.sqrt(COMFORTABLE_WORDS / sentence.text.split(/\s+/).length),
      );
      const score = coverage * lengthFactor + (SECTION_WEIGHT * section.score) / best.score;
      return { section, sentence, coverage, score };
    }),
  );
  const ranked = candidates
    .filter((candidate) => candidate.coverage >= 0.25)
    .sort(
      (left, right) =>
        right.score - left.score ||
        left.section.rank - right.section.rank ||
        left.sentence.position - right.sentence.position,
    );
  const top = ranked[0];
  if (!top) return [];
  const chosen: Candidate[] = [];
  for (const candidate of ranked) {
    if (chosen.length >= maxSentences) break;
    if (candidate.coverage < top.coverage * RELATIVE_SUPPORT) continue;
    const terms = candidate.sentence.terms;
    if (chosen.some((other) => jaccard(other.sentence.terms, terms) > REDUNDANT_OVERLAP)) continue;
    chosen.push(candidate);
  }
  const groups = new Map<Section, Candidate[]>();
  for (const candidate of chosen) {
    groups.set(candidate.section, [...(groups.get(candidate.section) ?? []), candidate]);
  }
  return [...groups.values()].map((group) =>
    group
      .sort((left, right) => left.sentence.position - right.sentence.position)
      .map((candidate) => cite(candidate.sentence.text, candidate.section.passage.index))
      .join(' '),
  );
}

function weightIn(term: string, sections: Section[]): number {
  const frequency = sections.filter((section) => section.terms.has(term)).length;
  return 1 + Math.log((sections.length + 1) / (frequency + 1));
}

function quotedList(words: string[]): string {
  const quoted = words.map((word) => `“${word}”`);
  return quoted.length <= 1
    ? (quoted[0] ?? '')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/**
 * Says what was found and what was not, in the reader's words: the closest sections by title,
 * and which of the question's words they mention.
 */
export function noSupportMessage(question: string, sections: Section[]): string {
  const advice = 'Try the words the documentation uses, or add a knowledge source that covers it.';
  if (sections.length === 0)
    return `Nothing in the knowledge base matches this question. ${advice}`;
  const closest = sections.slice(0, 2);
  const asked = askedPart(question) ?? question;
  const words = [...new Set(asked.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [])].filter(
    (word) => contentTerms(word).length > 0,
  );
  const inClosest = (word: string) =>
    contentTerms(word).every((term) => closest.some((section) => section.terms.has(term)));
  const found = words.filter(inClosest);
  const missing = words.filter((word) => !inClosest(word));
  const titles = quotedList(closest.map((section) => section.title || section.passage.path));
  const mention =
    found.length > 0 && missing.length > 0
      ? `; they mention ${quotedList(found)} but not ${quotedList(missing)}`
      : found.length > 0
        ? `; they mention ${quotedList(found)} only in passing`
        : '';
  const noun = closest.length === 1 ? 'section' : 'sections';
  return `The knowledge base does not answer this question. The closest ${noun}: ${titles}${mention}. ${advice}`;
}

/** A list or table under a heading that names the question's topic is read whole. */
function hasStructure(section: Section): boolean {
  return section.blocks.some((block) => block.kind === 'list' || block.kind === 'table');
}

function isAboutQuestion(section: Section, question: ReadQuestion): boolean {
  return question.terms.some((term) => section.titleTerms.has(term));
}

/**
 * The answer for a question over retrieved passages. Deterministic: the same question over the
 * same passages gives the same text.
 */
export function composeExtractiveAnswer(
  request: ExtractiveGrounding,
  maxSentences = 4,
): ExtractiveAnswer {
  const question = readQuestion(request.question);
  const sections = question.terms.length === 0 ? [] : rankSections(question, request.passages);
  const supported = sections.filter(isSupported);
  const best = supported[0];
  let paragraphs: string[] = [];
  if (best && question.kind === 'document')
    paragraphs = documentAnswer(request.question, supported);
  else if (best && question.kind === 'definition' && best.defines)
    paragraphs = definitionAnswer(best, maxSentences);
  else if (best && question.kind === 'how-to' && isProcedure(best))
    paragraphs = procedureAnswer(best);
  else if (
    best &&
    question.kind === 'other' &&
    isAboutQuestion(best, question) &&
    hasStructure(best)
  )
    paragraphs = procedureAnswer(best);
  else paragraphs = sentenceAnswer(question, supported, maxSentences);
  if (paragraphs.length === 0)
    return { pieces: [noSupportMessage(request.question, sections)], declined: true };
  return {
    pieces: paragraphs.map((text, at) => (at > 0 ? `\n\n${text}` : text)),
    declined: false,
  };
}

/** What the extractive adapter answers from: one answer's question and retrieved passages. */
export interface ExtractiveGrounding {
  question: string;
  passages: Passage[];
}

export const EXTRACTIVE_MODEL = 'extractive-v2';

/**
 * The extractive answer behind the chat port, built for one answer: it quotes its grounding and
 * leaves the request's messages (the same passages and question, worded for a model) unread.
 * Quoting instead of generating, `temperature` and `maxOutputTokens` do not apply. The result
 * says `declined` when nothing answers the question; its text then explains what was found.
 *
 * @example
 *   const chat = new ExtractiveChatProvider({ question, passages });
 *   const { text } = await chat.chat({ messages });
 */
export class ExtractiveChatProvider implements ChatProvider {
  readonly portVersion = CHAT_PORT_VERSION;
  readonly name = 'extractive';
  readonly model = EXTRACTIVE_MODEL;
  private readonly maxSentences: number;

  constructor(
    private readonly grounding: ExtractiveGrounding,
    options: ExtractiveOptions = {},
  ) {
    this.maxSentences = options.maxSentences ?? 4;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    return this.result(request, composeExtractiveAnswer(this.grounding, this.maxSentences));
  }

  async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const answer = composeExtractiveAnswer(this.grounding, this.maxSentences);
    for (const text of answer.pieces) {
      request.signal?.throwIfAborted();
      yield { type: 'delta', text };
    }
    yield { type: 'done', result: this.result(request, answer) };
  }

  private result(request: ChatRequest, answer: ExtractiveAnswer): ChatResult {
    request.signal?.throwIfAborted();
    const text = answer.pieces.join('');
    const { question, passages } = this.grounding;
    const read = [question, ...passages.map((passage) => passage.text)].join('\n');
    return {
      text,
      usage: { inputTokens: countTokens(read), outputTokens: countTokens(text) },
      provider: this.name,
      model: this.model,
      finishReason: 'stop',
      ...(answer.declined && { declined: true }),
    };
  }
}
