import type { PiiFinding } from './pii-finding.js';

/*
 * A pragmatic address shape rather than RFC 5322: a dot-separated local part, a domain with at
 * least one dot and a letters-only top-level domain. "user@localhost" and "@handles" are not
 * reported, which is what a reader would expect from a redaction.
 */
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}_%+-]+(?:\.[\p{L}\p{N}_%+-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,24}(?![\p{L}\p{N}_-])/gu;

export function findEmails(text: string): PiiFinding[] {
  return [...text.matchAll(EMAIL)].map((match) => ({
    type: 'email',
    start: match.index,
    end: match.index + match[0].length,
    label: 'email address',
  }));
}
