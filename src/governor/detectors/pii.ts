import { findCardNumbers } from './card.js';
import { findEmails } from './email.js';
import { findIbans } from './iban.js';
import type { PiiFinding, PiiType } from './pii-finding.js';
import { findPhoneNumbers } from './phone.js';
import { findSecrets } from './secrets.js';

export type { PiiFinding, PiiType } from './pii-finding.js';

/*
 * When two findings overlap the more specific kind wins: a secret is checked hardest (prefix
 * or entropy), a card or IBAN carries a checksum, an e-mail has an unmistakable shape, and a
 * phone number is recognised by shape alone. A URL password beats the "pass@host" e-mail it
 * contains; a card number beats the phone number its digit groups resemble.
 */
const PRECEDENCE: readonly PiiType[] = ['secret', 'card', 'iban', 'email', 'phone'];

const PLACEHOLDERS: Readonly<Record<PiiType, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  iban: '[IBAN]',
  secret: '[SECRET]',
};

function findAll(text: string): PiiFinding[] {
  return [
    ...findSecrets(text),
    ...findCardNumbers(text),
    ...findIbans(text),
    ...findEmails(text),
    ...findPhoneNumbers(text),
  ];
}

/** Index of the first kept finding that starts at or after `position` (binary search). */
function firstStartingFrom(kept: readonly PiiFinding[], position: number): number {
  let low = 0;
  let high = kept.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (kept[middle]!.start < position) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Keeps one finding per stretch of text: by kind precedence, then the order the finders
 * reported them in (most specific first), then the longer one. Kept findings stay sorted by
 * position and never overlap, so only the two neighbours of a candidate need checking.
 */
function resolveOverlaps(candidates: PiiFinding[]): PiiFinding[] {
  const ranked = candidates
    .map((finding, order) => ({ finding, order }))
    .sort(
      (left, right) =>
        PRECEDENCE.indexOf(left.finding.type) - PRECEDENCE.indexOf(right.finding.type) ||
        left.order - right.order ||
        right.finding.end - right.finding.start - (left.finding.end - left.finding.start),
    );
  const kept: PiiFinding[] = [];
  for (const { finding } of ranked) {
    if (finding.end <= finding.start) continue;
    const next = firstStartingFrom(kept, finding.start);
    const previous = kept[next - 1];
    const following = kept[next];
    if (previous && previous.end > finding.start) continue;
    if (following && following.start < finding.end) continue;
    kept.splice(next, 0, finding);
  }
  return kept;
}

/**
 * Finds e-mail addresses, phone numbers, payment card numbers (Luhn-checked), IBANs
 * (mod-97-checked) and secrets such as API keys, tokens and passwords. Findings do not overlap
 * and are sorted by position.
 *
 * @example
 *   detectPii('Mail jane@example.com')
 *   // [{ type: 'email', start: 5, end: 21, label: 'email address' }]
 */
export function detectPii(text: string): PiiFinding[] {
  return resolveOverlaps(findAll(text));
}

/**
 * Replaces each finding with a placeholder naming its kind (`[EMAIL]`, `[PHONE]`, `[CARD]`,
 * `[IBAN]`, `[SECRET]`). Expects findings as `detectPii` returns them; overlapping or
 * unsorted findings are tolerated by skipping any that start inside an earlier one.
 *
 * @example
 *   redactPii(text, detectPii(text)) // 'Mail [EMAIL]'
 */
export function redactPii(text: string, findings: readonly PiiFinding[]): string {
  const ordered = [...findings].sort((left, right) => left.start - right.start);
  let result = '';
  let position = 0;
  for (const finding of ordered) {
    if (finding.start < position) continue;
    result += text.slice(position, finding.start) + PLACEHOLDERS[finding.type];
    position = finding.end;
  }
  return result + text.slice(position);
}
