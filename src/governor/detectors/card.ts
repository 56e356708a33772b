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

/*
 * Cards are printed compact or in groups of three to six digits (4-4-4-4, Amex 4-6-5); runs
 * of single digits ("1 2 3 4 …") are lists, not card numbers.
 */
const MIN_GROUP_DIGITS = 3;
const MAX_GROUP_DIGITS = 6;

/**
 * The longest window of consecutive groups starting at `first`, sharing one separator, that is
 * a valid card number. Windows never exceed 19 digits, so each start costs constant time.
 */
function cardStartingAt(groups: DigitGroup[], first: number): number | undefined {
  let digits = '';
  let everyGroupFits = true;
  let found: number | undefined;
  for (let last = first; last < groups.length; last++) {
    const group = groups[last]!;
    if (last > first + 1 && group.separator !== groups[first + 1]!.separator) break;
    digits += group.digits;
    if (digits.length > MAX_DIGITS) break;
    everyGroupFits &&=
      group.digits.length >= MIN_GROUP_DIGITS && group.digits.length <= MAX_GROUP_DIGITS;
    const compact = last === first;
    if ((compact || everyGroupFits) && looksLikeCardNumber(digits)) found = last;
  }
  return found;
}

export function findCardNumbers(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const match of text.matchAll(DIGIT_RUN)) {
    const runEnd = match.index + match[0].length;
    // A run followed by a letter is part of an identifier; by a decimal point and digits, a number.
    if (/^(?:[\p{L}_]|[.,]\d)/u.test(text.slice(runEnd, runEnd + 2))) continue;
    const groups = splitGroups(match[0], match.index);
    for (let first = 0; first < groups.length; first++) {
      const last = cardStartingAt(groups, first);
      if (last === undefined) continue;
      findings.push({
        type: 'card',
        start: groups[first]!.start,
        end: groups[last]!.end,
        label: 'credit card number',
      });
      first = last; // the next card can only start after this one
    }
  }
  return findings;
}
