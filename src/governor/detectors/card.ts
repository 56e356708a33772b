import type { PiiFinding } from './pii-finding.js';

/*
 * A run of digit groups joined by single spaces or dashes. The run may be longer than one card
 * ("4111 1111 1111 1111 2025"), so candidates are cut from it at group boundaries below.
 */
const DIGIT_RUN = /(?<![\p{L}\p{N}_.,/-])\d+(?:[ -]\d+)*/gu;

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

/** The Luhn checksum every payment card number carries in its last digit. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/*
 * Card networks issue from ranges starting with 2–6 (Mastercard 2/5, Amex and Diners 3, Visa 4,
 * Discover and UnionPay 6). Leaving out 1 and 7–9 keeps millisecond timestamps and other long
 * identifiers that happen to pass Luhn (one in ten does) out of the findings.
 */
function looksLikeCardNumber(digits: string): boolean {
  return (
    digits.length >= MIN_DIGITS &&
    digits.length <= MAX_DIGITS &&
    /^[2-6]/.test(digits) &&
    !/^(\d)\1*$/.test(digits) &&
    passesLuhn(digits)
  );
}

interface DigitGroup {
  start: number;
  end: number;
  digits: string;
  separator: string;
}

function splitGroups(run: string, offset: number): DigitGroup[] {
  return [...run.matchAll(/\d+/g)].map((match) => ({
    start: offset + match.index,
    end: offset + match.index + match[0].length,
    digits: match[0],
    separator: match.index > 0 ? run[match.index - 1]! : '',
  }));
}

/**
 * The longest window of consecutive groups, sharing one separator, that is a valid card number.
 * Windows never exceed 19 digits, so a long run of numbers costs linear time.
 */
function findCardInGroups(groups: DigitGroup[]): { start: number; end: number } | undefined {
  for (let first = 0; first < groups.length; first++) {
    let digits = '';
    let found: { start: number; end: number } | undefined;
    for (let last = first; last < groups.length; last++) {
      const group = groups[last]!;
      if (last > first + 1 && group.separator !== groups[first + 1]!.separator) break;
      digits += group.digits;
      if (digits.length > MAX_DIGITS) break;
      if (looksLikeCardNumber(digits)) found = { start: groups[first]!.start, end: group.end };
    }
    if (found) return found;
  }
  return undefined;
}

export function findCardNumbers(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const match of text.matchAll(DIGIT_RUN)) {
    let groups = splitGroups(match[0], match.index);
    const after = text.slice(match.index + match[0].length, match.index + match[0].length + 2);
    // A run followed by a letter is part of an identifier; by a decimal point and digits, a number.
    if (/^(?:[\p{L}_]|[.,]\d)/u.test(after)) continue;
    while (groups.length > 0) {
      const card = findCardInGroups(groups);
      if (!card) break;
      findings.push({ type: 'card', ...card, label: 'credit card number' });
      groups = groups.filter((group) => group.start >= card.end);
    }
  }
  return findings;
}
