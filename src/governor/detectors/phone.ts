import type { PiiFinding } from './pii-finding.js';

/*
 * Phone numbers are recognised by shape only, so each shape is narrow on purpose: a match must
 * start and end at a token boundary, must not continue into a decimal, a time ("12:30") or a
 * date part, and must have as many digits as real numbers of that kind have. Dates, years,
 * versions, times and short counts do not fit any of the shapes below.
 */
const NOT_AFTER = String.raw`(?<![\p{L}\p{N}_+.\-/])`;
const NOT_BEFORE = String.raw`(?![\p{L}\p{N}_]|[.:,\-/]\d)`;

function shape(body: string): RegExp {
  return new RegExp(NOT_AFTER + body + NOT_BEFORE, 'gu');
}

/** "+49 30 1234567", "+1 (555) 123-4567", "+49 (0)30 1234567", "0044 20 7946 0958". */
const INTERNATIONAL = shape(
  String.raw`(?:\+|00)[1-9]\d{0,14}(?:(?:[ .\-/]|[ ]?\(\d{1,4}\)[ ]?)\d{1,14}){0,14}`,
);

/** North American: "(555) 123-4567", "555-123-4567", "555.123.4567", "1-800-555-1234". */
const NORTH_AMERICAN = shape(
  String.raw`(?:1[ .\-])?(?:\([2-9]\d{2}\) ?\d{3}[ .\-]\d{4}|[2-9]\d{2}([.\-])\d{3}\1\d{4})`,
);

/**
 * European national numbers with a trunk zero and an area code of up to five digits, then
 * groups of two or more digits: "030 12345678", "0171 1234567", "(030) 123 456 78",
 * "089/123 456 78", "020 7946 0958", "01 23 45 67 89".
 */
const EUROPEAN_NATIONAL = shape(
  String.raw`(?:\(0[1-9]\d{0,4}\) ?|0[1-9]\d{0,4}(?: ?\/ ?|[ \-]))\d{2,}(?:([ \-])\d{2,}(?:\1\d{2,}){0,3})?`,
);

/** The French dotted style: "01.23.45.67.89". */
const FRENCH_DOTTED = shape(String.raw`0[1-9](?:\.\d{2}){4}`);

function digitCount(text: string): number {
  return text.replace(/\D/g, '').length;
}

function isInternationalNumber(candidate: string): boolean {
  const groups = candidate.replace('(0)', '').match(/\d+/g) ?? [];
  // After the country code, at most one single-digit group ("+33 1 23 45 67 89"); "+1 2 3 4"
  // is arithmetic or a list.
  if (groups.slice(1).filter((group) => group.length === 1).length > 1) return false;
  const digits = groups.join('').length;
  if (candidate.startsWith('00')) {
    // Without a plus sign, zero-padded identifiers look alike; ask for more digits and a gap.
    return groups.length > 1 && digits - 2 >= 10 && digits - 2 <= 15;
  }
  return digits >= 8 && digits <= 15;
}

const SHAPES: { pattern: RegExp; accepts: (candidate: string) => boolean }[] = [
  { pattern: INTERNATIONAL, accepts: isInternationalNumber },
  { pattern: NORTH_AMERICAN, accepts: () => true },
  {
    pattern: EUROPEAN_NATIONAL,
    accepts: (candidate) => digitCount(candidate) >= 9 && digitCount(candidate) <= 13,
  },
  { pattern: FRENCH_DOTTED, accepts: () => true },
];

/**
 * The longest prefix of `candidate`, cut at a space, that `accepts` takes: a number followed
 * by a year or a count ("030 12345678 2024") is still found.
 */
function longestAcceptedPrefix(
  candidate: string,
  accepts: (text: string) => boolean,
): string | undefined {
  let current = candidate;
  while (!accepts(current)) {
    const cut = current.lastIndexOf(' ');
    if (cut <= 0) return undefined;
    current = current.slice(0, cut);
    if (!/\d$/.test(current)) return undefined;
  }
  return current;
}

export function findPhoneNumbers(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const { pattern, accepts } of SHAPES) {
    for (const match of text.matchAll(pattern)) {
      const number = longestAcceptedPrefix(match[0], accepts);
      if (number === undefined) continue;
      findings.push({
        type: 'phone',
        start: match.index,
        end: match.index + number.length,
        label: 'phone number',
      });
    }
  }
  return findings;
}
