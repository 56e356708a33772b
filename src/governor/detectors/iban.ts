import type { PiiFinding } from './pii-finding.js';

/** IBAN length per country, from the SWIFT IBAN registry (ISO 13616). */
// prettier-ignore
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29,
  BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29,
  ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20,
  LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19,
  MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29,
  PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24,
  SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
  YE: 30,
};

const MIN_LENGTH = 15;
const MAX_LENGTH = 34;

/** Country code and check digits, at the start of a word. */
const IBAN_START = /(?<![\p{L}\p{N}_])[A-Za-z]{2}\d{2}/gu;
const ALPHANUMERIC = /[A-Za-z0-9]/;

/**
 * ISO 7064 mod-97-10 as IBANs use it: the first four characters move to the end, letters become
 * 10–35, and the resulting number must leave remainder 1. Computed digit by digit because the
 * number is far beyond what a double holds.
 */
export function passesIbanChecksum(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = Number.parseInt(character, 36);
    remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
  }
  return remainder === 1;
}

/**
 * Reads an IBAN written compactly or in the printed form (groups of four separated by one
 * space) from `start`; returns the characters read and, for each, where it ends in `text`.
 */
function readCompact(text: string, start: number): { compact: string; ends: number[] } {
  let compact = '';
  const ends: number[] = [];
  let position = start;
  while (position < text.length && compact.length < MAX_LENGTH) {
    const character = text[position]!;
    if (ALPHANUMERIC.test(character)) {
      compact += character.toUpperCase();
      ends.push(position + 1);
      position++;
    } else if (
      character === ' ' &&
      compact.length % 4 === 0 &&
      ALPHANUMERIC.test(text[position + 1] ?? '')
    ) {
      position++;
    } else {
      break;
    }
  }
  return { compact, ends };
}

/** Lengths worth checking: the registered one, or for an unlisted country every length. */
function candidateLengths(country: string, writtenInCapitals: boolean): number[] {
  const registered = IBAN_LENGTHS[country];
  if (registered !== undefined) return [registered];
  // An unlisted country is accepted only in capitals, as banks print it, to limit chance hits.
  if (!writtenInCapitals) return [];
  const lengths: number[] = [];
  for (let length = MAX_LENGTH; length >= MIN_LENGTH; length--) lengths.push(length);
  return lengths;
}

export function findIbans(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  let searchFrom = 0;
  for (const match of text.matchAll(IBAN_START)) {
    if (match.index < searchFrom) continue;
    const { compact, ends } = readCompact(text, match.index);
    const country = compact.slice(0, 2);
    const writtenInCapitals = /^[A-Z]{2}/.test(match[0]);
    for (const length of candidateLengths(country, writtenInCapitals)) {
      const end = ends[length - 1];
      // The IBAN must end where a group or word ends, not in the middle of one.
      if (end === undefined || ALPHANUMERIC.test(text[end] ?? '')) continue;
      if (!passesIbanChecksum(compact.slice(0, length))) continue;
      findings.push({ type: 'iban', start: match.index, end, label: 'IBAN' });
      searchFrom = end;
      break;
    }
  }
  return findings;
}
