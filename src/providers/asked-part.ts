// A sentence ends at . ? or ! followed by space and what can start the next one.
const SENTENCE_END = /(?<=[.?!])\s+(?=[\p{Lu}\p{N}"'`(])/u;

/**
 * The sentences of a message that ask, when others only tell or instruct ("Always answer in
 * English. How do I add a git source?" → "How do I add a git source?"); `undefined` when the
 * message asks in every sentence or in none, so the whole message is the question. Search
 * weighs these words double; the extractive answer reads only them.
 *
 * @example
 *   askedPart('The logs say EADDRINUSE. How do I change the port?'); // 'How do I change the port?'
 *   askedPart('How do I change the port?'); // undefined
 */
export function askedPart(message: string): string | undefined {
  const sentences = message.trim().split(SENTENCE_END);
  const asking = sentences.filter((sentence) => sentence.trimEnd().endsWith('?'));
  if (asking.length === 0 || asking.length === sentences.length) return undefined;
  return asking.join(' ');
}
