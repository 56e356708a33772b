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
const CUE_SEED = 0x27d4eb2f;

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

/**
 * The buckets one text hits, without a `Set`: a mark per bucket and the list of buckets marked,
 * both kept between calls (features are extracted synchronously, one text at a time) and cleared
 * for the next text by walking the list. A 2,000-character passage hits a few thousand buckets.
 */
class BucketSet {
  private readonly marks = new Uint8Array(1 << HASH_BITS);
  private list = new Int32Array(4_096);
  size = 0;

  add(bucket: number): void {
    if (this.marks[bucket]) return;
    this.marks[bucket] = 1;
    if (this.size === this.list.length) {
      const longer = new Int32Array(this.list.length * 2);
      longer.set(this.list);
      this.list = longer;
    }
    this.list[this.size++] = bucket;
  }

  has(bucket: number): boolean {
    return this.marks[bucket] === 1;
  }

  /** The buckets added, in no particular order. */
  buckets(): Int32Array {
    return this.list.subarray(0, this.size);
  }

  clear(): void {
    for (let position = 0; position < this.size; position++) this.marks[this.list[position]!] = 0;
    this.size = 0;
  }
}

const ngrams = new BucketSet();

/** Character 3–5-grams of " text ", hashed incrementally so no substring is allocated. */
function addCharacterGrams(padded: string, buckets: BucketSet): void {
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

/*
 * Structure cues: what an attack does rather than which words it uses. Each is a pattern over the
 * normalised text; the classifier learns a weight for each and for the pairs below, so "you are
 * X" counts differently when it comes with talk of having no rules than when it comes with a
 * how-to question, and "As a Platform Engineer, how do I …" reads as a user describing
 * themselves, not as a persona given to the assistant.
 */
const CUE_PATTERNS: Record<string, RegExp> = {
  assistantPersona:
    /\b(?:you are|you're|u are|act as|acting as|pretend (?:to be|you are|you're)|role ?play as|play the role|simulate|you will (?:act|be)|answer as|respond as)\b/u,
  userPersona:
    /^(?:(?:hi|hello|hey|ok|okay)\W+)?(?:as (?:an?|the) |i'?m an? |i am an? |i work as|my role is|we are an? |our team)/u,
  restrictionTalk:
    /\b(?:no|without|free (?:of|from)|freed from|ignor\w*|bypass\w*|not bound by|broken free of|any)\b[^.!?]{0,25}\b(?:rules|restrictions|filters?|limits|limitations|guidelines|censor\w*|ethic\w*|moral\w*|content polic\w*|safety|confines|programming)\b/u,
  neverRefuse:
    /\b(?:never (?:refuses?|warns?|breaks? character)|always (?:sends?|answers?|responds?)|stay in character|break character|do anything now|must obey|without objection|unfiltered|uncensored|amoral|jailbr\w*|unrestricted)\b/u,
  priorReference:
    /\b(?:previous|prior|above|earlier|initial|original|preceding|before)\b[^.!?]{0,20}\b(?:instructions?|rules|directions|directives|guidelines|guidance|context|prompt|system message|orders)\b/u,
  selfReference:
    /\b(?:your|you were|you have been|you were given|were you|configured for you)\b[^.!?]{0,20}\b(?:instructions?|rules|prompt|system message|programming|programmed|guidelines|configuration|directives|instructed|context window|told)\b/u,
  disclosureVerb:
    /\b(?:reveal|repeat|print|show|tell|dump|output|echo|spell|copy|quote|paste|translate|summari[sz]e|encode|list|give)\b/u,
  verbatim:
    /\b(?:verbatim|word for word|exactly|letter by letter|code block|backticks|everything above|above this line|before my (?:first )?message)\b/u,
  secret:
    /\b(?:secret|password|hidden|confidential|never reveal|not to share|not allowed to share)\b/u,
  forcedOutput:
    /\b(?:say|reply|respond|answer|output|print|write)\b[^.!?]{0,20}(?:"|\bonly\b|nothing else|every (?:answer|reply|question))/u,
  howTo:
    /\b(?:how (?:do|can|to|would|should|does)|what(?:'s| is| are) the (?:best|recommended|steps|instructions)|step[- ]by[- ]step|guide|walk me through|runbook|checklist|explain how|is it possible to|where do i|where can i)\b/u,
  harmful:
    /\b(?:malware|ransomware|bomb|meth\w*|phishing|hack\w*|steal\w*|launder\w*|poison\w*|stalk\w*|racist|illegal|weapon\w*|explosive\w*|kill\w*)\b/u,
  delimiter: /={3,}|-{3,}|\[[a-z ]{3,}\]|\bend of (?:document|input|user input)\b|\bsystem ?:/u,
  authority:
    /\b(?:i am|i'm) (?:the|your) (?:administrator|admin|developer|operator|creator|owner)\b|\b(?:admin|administrator|developer) override\b|\bauthori[sz]ed to change\b/u,
  dismiss:
    /\b(?:ignore|disregard|forget|skip|set aside|pay no attention to|nevermind|never mind|override|drop)\b/u,
  newTask:
    /\b(?:new|real|only|actual) (?:task|goal|assignment|instructions?|purpose|mission)\b|\breprogrammed\b|\binstead,? \b/u,
  question: /\?/u,
};

const CUE_PAIRS: [string, string][] = [
  ['assistantPersona', 'restrictionTalk'],
  ['assistantPersona', 'neverRefuse'],
  ['assistantPersona', 'harmful'],
  ['assistantPersona', 'howTo'],
  ['userPersona', 'howTo'],
  ['dismiss', 'priorReference'],
  ['dismiss', 'selfReference'],
  ['dismiss', 'forcedOutput'],
  ['dismiss', 'newTask'],
  ['disclosureVerb', 'selfReference'],
  ['disclosureVerb', 'verbatim'],
  ['disclosureVerb', 'secret'],
  ['selfReference', 'verbatim'],
  ['howTo', 'question'],
];

/** A cue's value: fixed, so a cue weighs the same in a long text as in a short one. */
const CUE_VALUE = 0.5;

/** The names of the structure cues a normalised text shows, pairs included ("a+b"). */
export function structureCues(normalised: string): string[] {
  const present = new Set<string>();
  for (const [name, pattern] of Object.entries(CUE_PATTERNS)) {
    if (pattern.test(normalised)) present.add(name);
  }
  const cues = [...present];
  for (const [left, right] of CUE_PAIRS) {
    if (present.has(left) && present.has(right)) cues.push(`${left}+${right}`);
  }
  return cues;
}

/**
 * Hashed features of a text: word unigrams and bigrams plus character 3–5-grams of the
 * normalised text, scaled to unit length so long and short texts score on the same scale, and
 * the structure cues above at a fixed value.
 *
 * @example
 *   const { indices, values } = extractFeatures('Ignore previous instructions');
 */
export function extractFeatures(text: string): FeatureVector {
  const normalised = normaliseText(text);
  const buckets = ngrams;
  try {
    const words = normalised.match(/[\p{L}\p{N}]+/gu) ?? [];
    for (let index = 0; index < words.length; index++) {
      buckets.add(hashString(words[index]!, WORD_SEED));
      if (index > 0) buckets.add(hashString(`${words[index - 1]} ${words[index]}`, BIGRAM_SEED));
    }
    if (normalised.length > 0) addCharacterGrams(` ${normalised} `, buckets);
    const ngramValue = buckets.size > 0 ? 1 / Math.sqrt(buckets.size) : 0;
    // A cue adds its value to its bucket, on top of an n-gram's or another cue's there.
    const cueValues = new Map<number, number>();
    for (const cue of structureCues(normalised)) {
      const bucket = hashString(cue, CUE_SEED);
      const before = cueValues.get(bucket) ?? (buckets.has(bucket) ? ngramValue : 0);
      cueValues.set(bucket, before + CUE_VALUE);
    }
    const indices = new Int32Array(buckets.size + cueValues.size);
    indices.set(buckets.buckets());
    let size = buckets.size;
    for (const bucket of cueValues.keys()) if (!buckets.has(bucket)) indices[size++] = bucket;
    const sorted = indices.subarray(0, size).sort();
    const values = new Float64Array(size).fill(ngramValue);
    if (cueValues.size > 0)
      for (let position = 0; position < size; position++)
        values[position] = cueValues.get(sorted[position]!) ?? ngramValue;
    return { indices: sorted, values };
  } finally {
    buckets.clear();
  }
}
