/** The kinds of personal data and credentials the PII detector reports. */
export type PiiType = 'email' | 'phone' | 'card' | 'iban' | 'secret';

/**
 * One piece of personal data or one credential found in a text: `text.slice(start, end)` is the
 * sensitive part, `label` names it for people ("credit card number", "AWS access key").
 */
export interface PiiFinding {
  type: PiiType;
  start: number;
  end: number;
  label: string;
}

/** Letters, digits or underscore: a match touching one of these is part of a longer token. */
export const WORD_CHARACTER = /[\p{L}\p{N}_]/u;

/** True when the characters just outside `start..end` do not continue the token. */
export function standsAlone(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  const after = text[end];
  return (
    (before === undefined || !WORD_CHARACTER.test(before)) &&
    (after === undefined || !WORD_CHARACTER.test(after))
  );
}
