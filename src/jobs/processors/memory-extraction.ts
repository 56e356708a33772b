import { createHash } from 'node:crypto';
import type { ConversationMessage } from '../../store/conversation-store.js';

/** One thing worth remembering about a user, with where it was said. */
export interface MemoryItem {
  /** Hash of the normalised text: the same fact said twice is one memory. */
  id: string;
  text: string;
  kind: 'preference' | 'fact' | 'instruction';
  messageId: string;
  at: string;
}

const MIN_LENGTH = 12;
const MAX_LENGTH = 300;

// First person, then a verb that states something lasting about the speaker.
const PREFERENCE = /\b(i|we)\s+(?:really\s+)?(prefer|like|love|hate|dislike|want|would rather)\b/i;
const INSTRUCTION =
  /^(?:please\s+)?(always|never|remember that|call me|use|answer in|reply in|write in)\b/i;
const FACT =
  /\b(i am|i'm|i work|i live|i use|i manage|i lead|i own|we are|we're|we use|we run|we have|my|our)\b/i;

const sentencesOf = (text: string): string[] =>
  text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter(Boolean);

const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.!]+$/, '');

function kindOf(sentence: string): MemoryItem['kind'] | undefined {
  if (sentence.endsWith('?')) return undefined;
  if (PREFERENCE.test(sentence)) return 'preference';
  if (INSTRUCTION.test(sentence)) return 'instruction';
  if (FACT.test(sentence)) return 'fact';
  return undefined;
}

/** Reasons the input policy gives when it refuses a message (output refusals have others). */
const INPUT_REFUSAL = /^(?:prompt_injection|pii_blocked|topic_denied|empty_input|input_too_long)\b/;

const inputRefused = (message: ConversationMessage | undefined) =>
  message?.role === 'assistant' &&
  message.decision?.status === 'refused' &&
  message.decision.reasons.some((reason) => INPUT_REFUSAL.test(reason));

/**
 * Statements a user made about themselves (facts, preferences, standing instructions) in one
 * conversation, in the order they were said. Questions are skipped, and so is every user message
 * the input policy refused: a message refused as an injection must not come back later as a
 * "memory" the agent trusts. (An answer refused for want of a supporting passage says nothing
 * against the message: its statements are kept.)
 */
export function extractMemories(messages: ConversationMessage[]): MemoryItem[] {
  const found = new Map<string, MemoryItem>();
  messages.forEach((message, index) => {
    if (message.role !== 'user') return;
    if (inputRefused(messages[index + 1])) return;
    for (const sentence of sentencesOf(message.content)) {
      if (sentence.length < MIN_LENGTH || sentence.length > MAX_LENGTH) continue;
      const kind = kindOf(sentence);
      if (!kind) continue;
      const id = createHash('sha256').update(normalise(sentence)).digest('hex').slice(0, 16);
      if (!found.has(id)) {
        found.set(id, { id, text: sentence, kind, messageId: message.id, at: message.createdAt });
      }
    }
  });
  return [...found.values()];
}
