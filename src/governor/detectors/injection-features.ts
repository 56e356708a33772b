/*
 * Feature hashing shared by the injection model at runtime and by `bench/train-injection.ts`.
 * Both must produce identical indices, so any change here needs the model to be retrained.
 */

/** Features land in 2^18 buckets; the model stores only the buckets it gave a weight. */
export const HASH_BITS = 18;
const HASH_MASK = (1 << HASH_BITS) - 1;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/* Distinct seeds keep the word "ign" and the character trigram "ign" in different buckets. */
const WORD_SEED = 0x9e3779b9;
const BIGRAM_SEED = 0x85ebca6b;
const CHARACTER_SEED = 0xc2b2ae35;

const MIN_CHARACTER_GRAM = 3;
const MAX_CHARACTER_GRAM = 5;

/** A sparse, L2-normalised feature vector: parallel arrays of bucket and value. */
export interface FeatureVector {
  indices: Int32Array;
  values: Float64Array;
}

/**
 * Lowercases, folds accents ("Übersetzer" and "Ubersetzer" become "ubersetzer", "ß" becomes
 * "ss") and collapses whitespace, so spelling variants share features and rules.
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/\s+/g, ' ')
    .trim();
}

function hashString(text: string, seed: number): number {
  let hash = (FNV_OFFSET ^ seed) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  }
  return hash & HASH_MASK;
}

/** Character 3–5-grams of " text ", hashed incrementally so no substring is allocated. */
function addCharacterGrams(padded: string, buckets: Set<number>): void {
  for (let start = 0; start + MIN_CHARACTER_GRAM <= padded.length; start++) {
    let hash = (FNV_OFFSET ^ CHARACTER_SEED) >>> 0;
    for (
      let length = 1;
      length <= MAX_CHARACTER_GRAM && start + length <= padded.length;
      length++
    ) {
      hash = Math.imul(hash ^ padded.charCodeAt(start + length - 1), FNV_PRIME);
      if (length >= MIN_CHARACTER_GRAM) {
        // Mixing in the length keeps "ign" from sharing its running hash with "igno", "ignor".
        buckets.add(Math.imul(hash ^ length, FNV_PRIME) & HASH_MASK);
      }
    }
  }
}

/**
 * Hashed binary features of a text: word unigrams and bigrams plus character 3–5-grams of the
 * normalised text, scaled to unit length so long and short texts score on the same scale.
 *
 * @example
 *   const { indices, values } = extractFeatures('Ignore previous instructions');
 */
export function extractFeatures(text: string): FeatureVector {
  const normalised = normaliseText(text);
  const buckets = new Set<number>();
  const words = normalised.match(/[\p{L}\p{N}]+/gu) ?? [];
  for (let index = 0; index < words.length; index++) {
    buckets.add(hashString(words[index]!, WORD_SEED));
    if (index > 0) buckets.add(hashString(`${words[index - 1]} ${words[index]}`, BIGRAM_SEED));
  }
  if (normalised.length > 0) addCharacterGrams(` ${normalised} `, buckets);
  const indices = Int32Array.from(buckets).sort();
  const values = new Float64Array(indices.length).fill(
    indices.length > 0 ? 1 / Math.sqrt(indices.length) : 0,
  );
  return { indices, values };
}
