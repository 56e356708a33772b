import { splitSentences } from './grounding.js';
import type { Decision } from './answer-schema.js';
import {
  type Grounds,
  leaksPrompt,
  redactSecrets,
  unsupportedSentences,
} from './steps/output-validation.js';

/** What a streaming caller is told: validated text, and a refusal the moment it is known. */
export interface StreamListener {
  onDelta: (text: string) => void;
  onRefusal?: (decision: Decision) => void;
}

/** A sentence (or line) end after which more text has begun, so no citation marker can follow. */
const BOUNDARY = /([.!?]["')\]]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*)(?=\s|$)|\n+/g;

function lastCompleteEnd(text: string): number {
  let cut = 0;
  for (const match of text.matchAll(BOUNDARY)) {
    const end = (match.index ?? 0) + match[0].length;
    if (/^\s*[^\s[]/.test(text.slice(end))) cut = end;
  }
  return cut;
}

/**
 * Output validation for a streamed answer: the provider's text is judged sentence by sentence
 * with the same checks as the whole answer (secrets redacted, the agent's prompt not repeated,
 * grounding), and only judged text is passed on; the unfinished tail is held back. A prompt leak
 * refuses mid-stream (`push` returns false, the caller stops the provider); an unsupported
 * sentence, when the policy refuses ungrounded answers, holds the rest until the whole answer is
 * judged. `finish` then releases what is left, or reports the refusal, so the streamed text is
 * always a prefix of the JSON answer and the decision is the same.
 *
 * @example
 *   const gate = new StreamGate({ onDelta: (text) => sse.send('delta', { text }) });
 *   for await (const piece of pieces) if (!gate.push(piece, grounds)) break;
 *   gate.finish(decision, answer);
 */
export class StreamGate {
  private raw = '';
  private judged = 0;
  private released = '';
  private holding = false;
  private cited = false;
  private refusalSent = false;

  constructor(private readonly listener: StreamListener) {}

  /** Every character the provider sent so far, judged or not. */
  get received(): string {
    return this.raw;
  }

  /** Takes the next piece of provider text, judged against `grounds`; false once refused. */
  push(text: string, grounds: Grounds): boolean {
    if (this.refusalSent) return false;
    this.raw += text;
    const cut = this.judged + lastCompleteEnd(this.raw.slice(this.judged));
    if (cut <= this.judged) return true;
    const piece = this.raw.slice(this.judged, cut);
    this.judged = cut;
    return this.judge(piece, grounds);
  }

  private judge(piece: string, grounds: Grounds): boolean {
    const judgedText = this.raw.slice(0, this.judged);
    if (leaksPrompt(grounds, judgedText)) {
      this.refuse(['system_prompt_leak']);
      return false;
    }
    const { grounding, requireCitations } = grounds.output;
    const passages = new Set(grounds.passages.map((passage) => passage.index));
    if (grounding === 'refuse') {
      if (unsupportedSentences(grounds, piece).length > 0) this.holding = true;
      if (!this.cited)
        this.cited = splitSentences(piece).some((sentence) =>
          sentence.citations.some((index) => passages.has(index)),
        );
    }
    // Under a refusing policy an answer without a single valid citation would be refused.
    const waitForCitation =
      grounding === 'refuse' && requireCitations && passages.size > 0 && !this.cited;
    if (!this.holding && !waitForCitation) this.release(redactSecrets(judgedText).text);
    return true;
  }

  /** Passes on whatever of `text` (the validated answer so far) has not been passed on yet. */
  private release(text: string): void {
    // Redaction of the longer text can differ from that of a prefix; never re-send, only extend.
    if (!text.startsWith(this.released) || text.length === this.released.length) return;
    const next = text.slice(this.released.length);
    this.released = text;
    this.listener.onDelta(next);
  }

  private refuse(reasons: string[]): void {
    if (this.refusalSent) return;
    this.refusalSent = true;
    this.listener.onRefusal?.({ status: 'refused', reasons });
  }

  /** After output validation: releases the rest of the answer, or reports its refusal. */
  finish(decision: Decision, answer: string): void {
    if (decision.status === 'refused') this.refuse(decision.reasons);
    else if (!this.refusalSent) this.release(answer);
  }
}
