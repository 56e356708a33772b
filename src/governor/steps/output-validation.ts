import { detectPii, redactPii } from '../detectors/pii.js';
import {
  contentWords,
  renumberCitations,
  shingles,
  splitSentences,
  supportRatio,
} from '../grounding.js';
import type { Citation } from '../answer-schema.js';
import type { GovernorContext, GovernorStep } from '../step.js';
import { escalate } from '../step.js';

const NO_SUPPORT_ANSWER =
  'I could not find support for an answer in the knowledge base, so I will not guess. Try rephrasing the question or adding a knowledge source that covers it.';

/** Lead-in sentences ("… quoted from the knowledge base:") introduce, they do not claim. */
function isLeadIn(text: string): boolean {
  return text.endsWith(':');
}

function checkCitations(
  context: GovernorContext,
  reasons: string[],
): { unsupported: string[]; sentences: number } {
  const { minSupport } = context.bundle.policy.output;
  const byIndex = new Map(context.passages.map((passage) => [passage.index, passage]));
  const allWords = new Set(context.passages.flatMap((passage) => [...contentWords(passage.text)]));
  const cited = new Set<number>();
  const unsupported: string[] = [];
  let claims = 0;
  for (const sentence of splitSentences(context.answer ?? '')) {
    const valid = sentence.citations.filter((index) => byIndex.has(index));
    const invalid = sentence.citations.filter((index) => !byIndex.has(index));
    if (invalid.length > 0)
      reasons.push(`citation_invalid: [${invalid.join(', ')}] refers to no retrieved passage`);
    valid.forEach((index) => cited.add(index));
    if (isLeadIn(sentence.text)) continue;
    claims += 1;
    const supporting =
      valid.length > 0
        ? new Set(valid.flatMap((index) => [...contentWords(byIndex.get(index)!.text)]))
        : allWords;
    if (supportRatio(sentence.text, supporting) < minSupport) unsupported.push(sentence.text);
  }
  context.citations = [...cited]
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
  return { unsupported, sentences: claims };
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
export function leaksPrompt(context: GovernorContext, answer: string): boolean {
  const promptShingles = shinglesOfPrompt(context.agent?.promptText ?? '');
  const fromPrompt = [...shingles(answer)].filter((gram) => promptShingles.has(gram));
  // Quoting a passage that happens to repeat the prompt is no leak; the passages are shingled
  // only when the answer shares words with the prompt at all, which is rare.
  if (fromPrompt.length === 0) return false;
  const quoted = shingles(context.passages.map((passage) => passage.text).join('\n'));
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
export function unsupportedSentences(context: GovernorContext, text: string): string[] {
  const { minSupport } = context.bundle.policy.output;
  const byIndex = new Map(context.passages.map((passage) => [passage.index, passage]));
  const allWords = new Set(context.passages.flatMap((passage) => [...contentWords(passage.text)]));
  return splitSentences(text)
    .filter((sentence) => !isLeadIn(sentence.text))
    .filter((sentence) => {
      const valid = sentence.citations.filter((index) => byIndex.has(index));
      const supporting =
        valid.length > 0
          ? new Set(valid.flatMap((index) => [...contentWords(byIndex.get(index)!.text)]))
          : allWords;
      return supportRatio(sentence.text, supporting) < minSupport;
    })
    .map((sentence) => sentence.text);
}

function checkLeaks(context: GovernorContext, reasons: string[]): void {
  const answer = context.answer ?? '';
  if (leaksPrompt(context, answer)) {
    reasons.push('system_prompt_leak');
    context.flags.push('system_prompt_leak');
  }
  const redacted = redactSecrets(answer);
  if (redacted.count > 0) {
    context.answer = redacted.text;
    reasons.push(`secret_redacted: ${redacted.count}`);
    context.flags.push('secret_redacted');
  }
}

/** Citations become [1]..[n] in the order the answer first uses them. */
function numberInOrderOfUse(context: GovernorContext): void {
  const known = new Set(context.passages.map((passage) => passage.index));
  const { text, numbers } = renumberCitations(context.answer ?? '', known);
  context.answer = text;
  context.citations = context.citations
    .flatMap((citation) => {
      const index = numbers.get(citation.index);
      return index === undefined ? [] : [{ ...citation, index }];
    })
    .sort((left, right) => left.index - right.index);
}

/**
 * Every citation must point at a retrieved passage; sentences without support are flagged, and
 * per policy too many of them refuse the answer; prompt and secret leaks are caught.
 */
export const outputValidationStep: GovernorStep = {
  id: 'output-validation',
  run(context) {
    const { requireCitations, grounding, maxUnsupportedRatio } = context.bundle.policy.output;
    const reasons: string[] = [];
    checkLeaks(context, reasons);
    if (context.result?.declined && !context.flags.includes('system_prompt_leak')) {
      // The provider's own words say what it found and what it did not; they claim nothing.
      context.citations = [];
      reasons.push('no_supporting_passage');
      escalate(context, 'refused', reasons.join('; '));
      return { decision: 'refused', reasons };
    }
    const { unsupported, sentences } = checkCitations(context, reasons);
    for (const sentence of unsupported)
      context.flags.push(`unsupported: ${sentence.slice(0, 160)}`);
    if (unsupported.length > 0)
      reasons.push(`unsupported_sentences: ${unsupported.length}/${sentences}`);
    const ratio = sentences === 0 ? 0 : unsupported.length / sentences;
    const missingCitations =
      requireCitations && context.passages.length > 0 && context.citations.length === 0;
    const refuse =
      context.flags.includes('system_prompt_leak') ||
      (grounding === 'refuse' && (ratio > maxUnsupportedRatio || missingCitations));
    if (missingCitations) reasons.push('no_citations');
    if (refuse) {
      context.answer = NO_SUPPORT_ANSWER;
      context.citations = [];
      escalate(context, 'refused', reasons.join('; ') || 'output_refused');
      return { decision: 'refused', reasons };
    }
    numberInOrderOfUse(context);
    return { decision: reasons.length > 0 ? 'flagged' : 'passed', reasons };
  },
};
