import type { Memory } from '../store/memory-store.js';

/** One memory chosen for an answer, with how it was found. */
export interface RecalledMemory {
  id: string;
  kind: Memory['kind'];
  text: string;
  /** Reciprocal-rank fusion of the lexical and vector ranks; higher is more relevant. */
  score: number;
}

/**
 * Below this cosine similarity a memory is not about the question. Embedding models put unrelated
 * short sentences at 0.0–0.3 and paraphrases well above 0.5; 0.4 keeps the first out.
 */
export const MIN_MEMORY_SIMILARITY = 0.4;
const RRF_K = 60;

// Words that say nothing about what a memory is about.
const STOPWORDS = new Set(
  `a an and are as at be but by can could do does for from have how i i'm in is it its me my of
  on or our please should so that the their them then there these this to was we what when where
  which who why will with would you your about into than also just like want use`.split(/\s+/),
);

/** Lower-cased content words, lightly stemmed so "lists" meets "list" and "shipping" "ship". */
export function memoryTerms(text: string): Set<string> {
  const terms = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) {
    if (word.length < 3 || STOPWORDS.has(word)) continue;
    terms.add(word.length > 5 ? word.replace(/(?:ing|ed|es|s)$/, '') : word.replace(/s$/, ''));
  }
  return terms;
}

function cosine(left: number[], right: number[]): number {
  if (left.length !== right.length || left.length === 0) return 0;
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let index = 0; index < left.length; index++) {
    dot += left[index]! * right[index]!;
    leftNorm += left[index]! ** 2;
    rightNorm += right[index]! ** 2;
  }
  return leftNorm && rightNorm ? dot / Math.sqrt(leftNorm * rightNorm) : 0;
}

/** Ids of the memories sharing a content word with the question, best BM25-like score first. */
function lexicalRanking(memories: Memory[], question: string): string[] {
  const asked = memoryTerms(question);
  const termsOf = new Map(memories.map((memory) => [memory.id, memoryTerms(memory.text)]));
  const documentFrequency = new Map<string, number>();
  for (const terms of termsOf.values())
    for (const term of terms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const total = memories.length;
  const scored: [string, number][] = [];
  for (const [id, terms] of termsOf) {
    let score = 0;
    for (const term of asked) {
      if (!terms.has(term)) continue;
      const frequency = documentFrequency.get(term) ?? 0;
      score += Math.log(1 + (total - frequency + 0.5) / (frequency + 0.5));
    }
    if (score > 0) scored.push([id, score]);
  }
  return scored.sort((left, right) => right[1] - left[1]).map(([id]) => id);
}

/** Ids of the memories whose embedding is close to the question's, closest first. */
function vectorRanking(memories: Memory[], questionEmbedding: number[]): string[] {
  return memories
    .map((memory) => ({
      id: memory.id,
      similarity: memory.embedding ? cosine(memory.embedding, questionEmbedding) : 0,
    }))
    .filter((candidate) => candidate.similarity >= MIN_MEMORY_SIMILARITY)
    .sort((left, right) => right.similarity - left.similarity)
    .map((candidate) => candidate.id);
}

/**
 * The at most `k` memories relevant to a question: those sharing content words with it, and
 * (with `questionEmbedding`) those whose embedding is close to it, fused by reciprocal rank as
 * knowledge search fuses its two rankings. A memory neither ranking finds is left out, however
 * few memories there are: an answer sees what bears on the question, not everything.
 *
 * @example
 *   recallMemories(memories, 'Give me a summary of our shipping costs', { k: 5 })
 *   // [{ id: 'mem_…', kind: 'fact', text: 'I work at Acme Shipping.', score: 0.0164 }]
 */
export function recallMemories(
  memories: Memory[],
  question: string,
  options: { k: number; questionEmbedding?: number[] | undefined },
): RecalledMemory[] {
  const rankings = [lexicalRanking(memories, question)];
  if (options.questionEmbedding) rankings.push(vectorRanking(memories, options.questionEmbedding));
  const fused = new Map<string, number>();
  for (const ranking of rankings)
    ranking.forEach((id, rank) => fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + rank + 1)));
  const byId = new Map(memories.map((memory) => [memory.id, memory]));
  return [...fused]
    .sort((left, right) => right[1] - left[1])
    .slice(0, options.k)
    .map(([id, score]) => {
      const memory = byId.get(id)!;
      return { id, kind: memory.kind, text: memory.text, score: Number(score.toFixed(6)) };
    });
}
