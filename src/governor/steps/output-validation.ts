import { LRUCache } from 'lru-cache';
import { detectPii, redactPii } from '../detectors/pii.js';
import {
  contentWords,
  renumberCitations,
  shingles,
  splitSentences,
  supportRatio,
} from '../grounding.js';
import type { ChatResult, Passage } from '../../providers/provider.js';
import type { Citation } from '../answer-schema.js';
import type { Policy } from '../policy-schema.js';
import type { Step } from '../step.js';

/**
 * What an answer is judged against: the passages it may cite, the agent's prompt it must not
 * repeat, and the policy's output rules.
 */
export interface Grounds {
  passages: Passage[];
  promptText: string;
  output: Policy['output'];
}

/** The answer as it may leave, and the passages it cites, numbered 1..n in order of use. */
export interface ValidatedAnswer {
  answer: string;
  citations: Citation[];
}

const NO_SUPPORT_ANSWER =
  'I could not find support for an answer in the knowledge base, so I will not guess. Try rephrasing the question or adding a knowledge source that covers it.';

/** Lead-in sentences ("… quoted from the knowledge base:") introduce, they do not claim. */
function isLeadIn(text: string): boolean {
  return text.endsWith(':');
}

// The same passages are retrieved call after call: the content words of the texts judged most
// recently are kept (read only, never changed), as the injection findings per passage are.
const PASSAGE_WORDS = new LRUCache<string, Set<string>>({ max: 1_000 });

/**
 * Each passage's content words, read only when a sentence is judged against it: most answers
 * cite one or two of the passages, so the rest, and the union of all (for a sentence citing
 * none), are usually never needed.
 */
function passageWordsOf(passages: Passage[]) {
  const byIndex = new Map(passages.map((passage) => [passage.index, passage]));
  const wordsOf = (passage: Passage) => {
    let known = PASSAGE_WORDS.get(passage.text);
    if (!known) PASSAGE_WORDS.set(passage.text, (known = contentWords(passage.text)));
    return known;
  };
  const citedWords = (index: number) => wordsOf(byIndex.get(index)!);
  let all: Set<string> | undefined;
  return {
    byIndex,
    /** The words of the cited passages, or of all passages when none is cited. */
    supporting(cited: number[]): Set<string> {
      if (cited.length === 1) return citedWords(cited[0]!);
      if (cited.length > 1) return new Set(cited.flatMap((index) => [...citedWords(index)]));
      return (all ??= new Set(passages.flatMap((passage) => [...wordsOf(passage)])));
    },
  };
}

function checkCitations(
  grounds: Grounds,
  answer: string,
  reasons: string[],
): { unsupported: string[]; sentences: number; citations: Citation[] } {
  const { minSupport } = grounds.output;
  const { byIndex, supporting } = passageWordsOf(grounds.passages);
  const cited = new Set<number>();
  const unsupported: string[] = [];
  let claims = 0;
  for (const sentence of splitSentences(answer)) {
    const valid = sentence.citations.filter((index) => byIndex.has(index));
    const invalid = sentence.citations.filter((index) => !byIndex.has(index));
    if (invalid.length > 0)
      reasons.push(`citation_invalid: [${invalid.join(', ')}] refers to no retrieved passage`);
    valid.forEach((index) => cited.add(index));
    if (isLeadIn(sentence.text)) continue;
    claims += 1;
    if (supportRatio(sentence.text, supporting(valid)) < minSupport)
      unsupported.push(sentence.text);
  }
  const citations = [...cited]
    .sort((left, right) => left - right)
    .map((index): Citation => {
      const passage = byIndex.get(index)!;
      return {
        index,
        path: passage.path,
        heading: passage.heading,
        lines: passage.lines,
        version: passage.version,
        score: passage.score,
      };
    });
  return { unsupported, sentences: claims, citations };
}

// A prompt is a policy file: the same few texts on every call, so their shingles are kept.
const promptShingleCache = new Map<string, Set<string>>();

function shinglesOfPrompt(text: string): Set<string> {
  let cached = promptShingleCache.get(text);
  if (!cached) {
    if (promptShingleCache.size >= 64) promptShingleCache.clear();
    cached = shingles(text);
    promptShingleCache.set(text, cached);
  }
  return cached;
}

/**
 * Whether `answer` repeats the agent's prompt verbatim (a shared word 6-gram the passages do not
 * also contain). Used on the whole answer and, while streaming, on the text judged so far.
 */
export function leaksPrompt(grounds: Grounds, answer: string): boolean {
  const promptShingles = shinglesOfPrompt(grounds.promptText);
  const fromPrompt = [...shingles(answer)].filter((gram) => promptShingles.has(gram));
  // Quoting a passage that happens to repeat the prompt is no leak; the passages are shingled
  // only when the answer shares words with the prompt at all, which is rare.
  if (fromPrompt.length === 0) return false;
  const quoted = shingles(grounds.passages.map((passage) => passage.text).join('\n'));
  return fromPrompt.some((gram) => !quoted.has(gram));
}

/** The text with secret-shaped strings (`sk-…`, `AKIA…`, high-entropy tokens) replaced. */
export function redactSecrets(text: string): { text: string; count: number } {
  const secrets = detectPii(text).filter((finding) => finding.type === 'secret');
  return secrets.length > 0
    ? { text: redactPii(text, secrets), count: secrets.length }
    : { text, count: 0 };
}

/** Sentences of `text` whose content words the passages (cited, or all) do not support. */
export function unsupportedSentences(grounds: Grounds, text: string): string[] {
  const { minSupport } = grounds.output;
  const { byIndex, supporting } = passageWordsOf(grounds.passages);
  return splitSentences(text)
    .filter((sentence) => !isLeadIn(sentence.text))
    .filter((sentence) => {
      const valid = sentence.citations.filter((index) => byIndex.has(index));
      return supportRatio(sentence.text, supporting(valid)) < minSupport;
    })
    .map((sentence) => sentence.text);
}

/** The answer with secrets redacted; a repeated prompt or a secret is named and flagged. */
function checkLeaks(grounds: Grounds, answer: string, reasons: string[], flags: string[]): string {
  if (leaksPrompt(grounds, answer)) {
    reasons.push('system_prompt_leak');
    flags.push('system_prompt_leak');
  }
  const redacted = redactSecrets(answer);
  if (redacted.count === 0) return answer;
  reasons.push(`secret_redacted: ${redacted.count}`);
  flags.push('secret_redacted');
  return redacted.text;
}

/** Citations become [1]..[n] in the order the answer first uses them. */
function numberInOrderOfUse(
  passages: Passage[],
  answer: string,
  citations: Citation[],
): ValidatedAnswer {
  const known = new Set(passages.map((passage) => passage.index));
  const { text, numbers } = renumberCitations(answer, known);
  return {
    answer: text,
    citations: citations
      .flatMap((citation) => {
        const index = numbers.get(citation.index);
        return index === undefined ? [] : [{ ...citation, index }];
      })
      .sort((left, right) => left.index - right.index),
  };
}

/**
 * Every citation must point at a retrieved passage; sentences without support are flagged, and
 * per policy too many of them refuse the answer; prompt and secret leaks are caught.
 */
export const outputValidationStep: Step<{ grounds: Grounds; result: ChatResult }, ValidatedAnswer> =
  {
    id: 'output-validation',
    run({ grounds, result }) {
      const { requireCitations, grounding, maxUnsupportedRatio } = grounds.output;
      const reasons: string[] = [];
      const flags: string[] = [];
      const answer = checkLeaks(grounds, result.text, reasons, flags);
      const leaked = flags.includes('system_prompt_leak');
      if (result.declined && !leaked) {
        // The provider's own words say what it found and what it did not; they claim nothing.
        reasons.push('no_supporting_passage');
        return {
          decision: 'refused',
          reasons,
          flags,
          verdict: { status: 'refused', reasons: [reasons.join('; ')] },
          output: { answer, citations: [] },
        };
      }
      const { unsupported, sentences, citations } = checkCitations(grounds, answer, reasons);
      for (const sentence of unsupported) flags.push(`unsupported: ${sentence.slice(0, 160)}`);
      if (unsupported.length > 0)
        reasons.push(`unsupported_sentences: ${unsupported.length}/${sentences}`);
      const ratio = sentences === 0 ? 0 : unsupported.length / sentences;
      const missingCitations =
        requireCitations && grounds.passages.length > 0 && citations.length === 0;
      const refuse =
        leaked || (grounding === 'refuse' && (ratio > maxUnsupportedRatio || missingCitations));
      if (missingCitations) reasons.push('no_citations');
      if (refuse) {
        return {
          decision: 'refused',
          reasons,
          flags,
          verdict: { status: 'refused', reasons: [reasons.join('; ') || 'output_refused'] },
          output: { answer: NO_SUPPORT_ANSWER, citations: [] },
        };
      }
      return {
        decision: reasons.length > 0 ? 'flagged' : 'passed',
        reasons,
        flags,
        output: numberInOrderOfUse(grounds.passages, answer, citations),
      };
    },
  };
