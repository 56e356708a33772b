import { queryTerms } from './query-terms.js';

const DEFINITION = /^\s*(?:what|who)\s+(?:is|are)\s+(?:an?\s+|the\s+)?(.+?)[\s?.!]*$/i;
// Words that make a heading a definition without naming its subject ("What Keel is", "Overview of X").
const FRAMING = new Set(['what', 'is', 'are', 'overview', 'introduction', 'about']);

/** The subject's words of a "What is X?" question, or undefined for any other query. */
export function definitionSubject(query: string): string[] | undefined {
  const subject = DEFINITION.exec(query)?.[1];
  if (!subject) return undefined;
  const terms = queryTerms(subject);
  return terms.length > 0 && terms.length <= 4 ? terms : undefined;
}

const stem = (word: string) => word.replace(/(?:es|s)$/, '');

/**
 * Whether a section's own heading (the last part of its heading path) names exactly the subject,
 * framing words aside: "What Keel is" and "Keel" define Keel; "Deployment" or "keel mcp" do not.
 */
export function headingDefines(heading: string, subject: string[]): boolean {
  const own = heading.split(' > ').at(-1) ?? '';
  const words = queryTerms(own.replace(/[`*_]/g, ' ')).filter((word) => !FRAMING.has(word));
  const wanted = new Set(subject.map(stem));
  const found = new Set(words.map(stem));
  return found.size === wanted.size && [...wanted].every((word) => found.has(word));
}
