import type { KnowledgeStore } from '../store/store.js';

export interface ExampleQuestion {
  question: string;
  /** The section the question is drawn from. */
  path: string;
  heading: string;
}

// Headings that name no subject a reader would ask about.
const GENERIC =
  /^(?:introduction|overview|contents|table of contents|examples?|usage|notes?|see also|license|changelog|summary|page \d+|todo)$/i;
const MAX_HEADING = 60;
const MAX_DOCUMENTS = 40;

/** A section heading as a question a new user might ask; undefined when it makes none. */
export function questionFromHeading(heading: string): string | undefined {
  const text = heading.trim().replace(/[.:]+$/, '');
  if (text.length < 4 || text.length > MAX_HEADING || GENERIC.test(text)) return undefined;
  if (/[`<>[\]{}|#*_]/.test(text) || /^\d/.test(text)) return undefined;
  if (text.endsWith('?')) return text;
  const whatIs = /^what\s+(.+?)\s+(is|are)$/i.exec(text);
  if (whatIs) return `What ${whatIs[2]!.toLowerCase()} ${whatIs[1]}?`;
  if (/^how\s+to\s+/i.test(text)) return `How do I ${text.replace(/^how\s+to\s+/i, '')}?`;
  const topic = text.replace(/^(?:an\s+)?overview\s+of\s+/i, '');
  // Acronyms ("HTTP API") keep their capitals.
  const lower = /^\p{Lu}{2}/u.test(topic) ? topic : topic.charAt(0).toLowerCase() + topic.slice(1);
  if (/^\p{L}+ing\b/u.test(text)) return `How does ${lower} work?`;
  return `What should I know about ${lower}?`;
}

/**
 * A few questions the workspace's knowledge answers, for an empty chat: section headings of
 * indexed documents turned into questions, one per document first so they cover different
 * topics. Deterministic for the same knowledge.
 *
 * @example
 *   await exampleQuestions(store, 'default', 4);
 *   // [{ question: 'What is Keel?', path: 'README.md', heading: 'Keel documentation > What Keel is' }, …]
 */
export async function exampleQuestions(
  store: KnowledgeStore,
  workspaceId: string,
  limit: number,
): Promise<ExampleQuestion[]> {
  const perDocument: ExampleQuestion[][] = [];
  for (const source of await store.listSources(workspaceId)) {
    const paths = [...(await store.documentHashes(source.id)).keys()].sort();
    for (const path of paths.slice(0, MAX_DOCUMENTS)) {
      const seen = new Set<string>();
      const found: ExampleQuestion[] = [];
      for (const chunk of await store.documentChunks(source.id, path)) {
        const parts = chunk.heading.split(' > ');
        // A document's own title says too little; its sections are the topics.
        if (parts.length < 2 || seen.has(chunk.heading)) continue;
        seen.add(chunk.heading);
        const question = questionFromHeading(parts.at(-1) ?? '');
        if (question) found.push({ question, path, heading: chunk.heading });
      }
      if (found.length > 0) perDocument.push(found);
    }
    if (perDocument.length >= limit * 4) break;
  }
  const chosen: ExampleQuestion[] = [];
  for (let round = 0; chosen.length < limit; round++) {
    const next = perDocument.map((found) => found[round]).filter((item) => item !== undefined);
    if (next.length === 0) break;
    // "What is …?" questions first: they suit a first visit.
    next.sort(
      (left, right) =>
        Number(right.question.startsWith('What is')) - Number(left.question.startsWith('What is')),
    );
    chosen.push(...next.slice(0, limit - chosen.length));
  }
  return chosen;
}
