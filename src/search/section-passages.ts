import type { Chunk } from '../store/store.js';

/** A passage grows over its section's chunks up to this many tokens: two chunk budgets. */
export const MAX_PASSAGE_TOKENS = 700;

/** Reads chunks by id (any that no longer exist are left out), as the store does. */
export type ReadChunks = (ids: number[]) => Promise<Chunk[]>;

/** How many ids on each side of a hit are read as its possible section neighbours. */
const NEIGHBOURS = 3;

/**
 * Passages as a reader needs them, from chunks ranked best first. Ranking scores chunks, so a
 * section too long for one chunk can take several of the first places with parts of one answer
 * while the part that states it ranks lower (a code sample repeats the question's words more
 * often than the sentence explaining it). So the best chunk of a section becomes a passage that
 * grows over the section's next chunks, then its previous ones, up to `maxTokens`, its line range
 * with it; a later hit already inside a passage is dropped, so no text is returned twice.
 * A document's chunks are stored together in reading order, so a chunk's neighbours are the ids
 * beside it: one read for all hits, each neighbour checked to be of the same document and
 * heading path and to follow in line order (anything else ends the section). A passage that
 * starts a section's first subsection also takes, budget allowing, the parent's text stored
 * right above it (see `parentLead`).
 *
 * @example
 *   await sectionPassages([7, 8, 3], chunksById, 2, (ids) => store.getChunks(ids));
 *   // → [{ id: 7, chunk: chunk 7 joined with chunk 8 (same section) }, { id: 3, chunk: chunk 3 }]
 */
export async function sectionPassages(
  rankedIds: number[],
  chunks: ReadonlyMap<number, Chunk>,
  k: number,
  readChunks: ReadChunks,
  maxTokens = MAX_PASSAGE_TOKENS,
): Promise<{ id: number; chunk: Chunk }[]> {
  const known = new Map(chunks);
  const used = new Set<number>();
  const passages: { id: number; chunk: Chunk }[] = [];
  // Neighbours are read for as many hits as passages are still missing, then again if hits
  // already inside a passage were dropped: a search for 5 passages reads around 5 hits, not 100.
  for (let next = 0; next < rankedIds.length && passages.length < k;) {
    const batch = rankedIds.slice(next, next + k - passages.length);
    next += batch.length;
    await readNeighbours(batch, known, readChunks);
    for (const id of batch) {
      const chunk = known.get(id);
      if (!chunk || used.has(id)) continue;
      const parts = sectionRun(known, chunk, used, maxTokens);
      for (const part of parts) used.add(part.id);
      passages.push({ id, chunk: joinParts(chunk, parts) });
    }
  }
  return passages;
}

/** Adds to `known` the chunks up to NEIGHBOURS ids either side of each of `ids`, in one read. */
async function readNeighbours(
  ids: number[],
  known: Map<number, Chunk>,
  readChunks: ReadChunks,
): Promise<void> {
  const wanted = new Set<number>();
  for (const id of ids) {
    for (let offset = -NEIGHBOURS; offset <= NEIGHBOURS; offset++) {
      if (id + offset > 0 && !known.has(id + offset)) wanted.add(id + offset);
    }
  }
  if (wanted.size === 0) return;
  for (const chunk of await readChunks([...wanted])) known.set(chunk.id, chunk);
}

/** The hit and the unused chunks of its section around it, in reading order, within the budget. */
function sectionRun(
  known: ReadonlyMap<number, Chunk>,
  hit: Chunk,
  used: ReadonlySet<number>,
  maxTokens: number,
): Chunk[] {
  const parts = [hit];
  let tokens = hit.tokenCount;
  const joins = (chunk: Chunk | undefined, next: Chunk | undefined): chunk is Chunk =>
    chunk !== undefined &&
    next !== undefined &&
    !used.has(chunk.id) &&
    chunk.sourceId === hit.sourceId &&
    chunk.path === hit.path &&
    chunk.heading === hit.heading &&
    tokens + chunk.tokenCount <= maxTokens;
  for (let id = hit.id + 1; ; id++) {
    const chunk = known.get(id);
    const previous = parts.at(-1);
    if (!joins(chunk, previous) || chunk.lineStart < (previous?.lineEnd ?? 0)) break;
    parts.push(chunk);
    tokens += chunk.tokenCount;
  }
  for (let id = hit.id - 1; ; id--) {
    const chunk = known.get(id);
    const following = parts[0];
    if (!joins(chunk, following) || chunk.lineEnd > (following?.lineStart ?? 0)) break;
    parts.unshift(chunk);
    tokens += chunk.tokenCount;
  }
  const lead = parentLead(known, parts[0] ?? hit, hit, used);
  if (lead && tokens + lead.tokenCount <= maxTokens) parts.unshift(lead);
  return parts;
}

/**
 * The parent section's text right above a first subsection, when it is stored just before it:
 * an API reference states what `pino.multistream()` is under its heading and lists the options
 * under `#### Options`, and a question about the function matches the options best.
 */
function parentLead(
  known: ReadonlyMap<number, Chunk>,
  first: Chunk,
  hit: Chunk,
  used: ReadonlySet<number>,
): Chunk | undefined {
  const lead = known.get(first.id - 1);
  const isLead =
    lead !== undefined &&
    !used.has(lead.id) &&
    lead.sourceId === hit.sourceId &&
    lead.path === hit.path &&
    hit.heading.startsWith(`${lead.heading} > `) &&
    lead.lineEnd <= first.lineStart;
  return isLead ? lead : undefined;
}

/** One chunk from consecutive parts of a section: the heading once, the lines from first to last. */
function joinParts(hit: Chunk, parts: Chunk[]): Chunk {
  const [first, ...rest] = parts;
  const last = parts.at(-1);
  if (!first || !last || rest.length === 0) return hit;
  // A continuation repeats its section's title; a subsection after its parent's lead keeps its own.
  const body = (part: Chunk, index: number) =>
    part.heading === parts[index]?.heading ? withoutRepeatedHeading(part) : part.text;
  const text = [first.text, ...rest.map(body)].join('\n\n');
  const tokenCount = parts.reduce((sum, part) => sum + part.tokenCount, 0);
  return { ...hit, text, lineStart: first.lineStart, lineEnd: last.lineEnd, tokenCount };
}

/**
 * A continuation chunk repeats its section's title above its body (`## Title` for Markdown, the
 * title and a blank line for a record); the joined passage has it once already.
 */
function withoutRepeatedHeading(part: Chunk): string {
  const newline = part.text.indexOf('\n');
  if (newline < 0) return part.text;
  const title = part.text
    .slice(0, newline)
    .replace(/^#+\s*/, '')
    .trim();
  const own = part.heading.split(' > ').at(-1);
  return title !== '' && title === own
    ? part.text.slice(newline + 1).replace(/^\s*\n/, '')
    : part.text;
}
