import { countTokens } from '../providers/token-count.js';
import { type MarkdownLayout, scanLayout, splitLines } from './markdown-layout.js';

/** A run of lines (0-based, inclusive); `text` is set when one overlong line had to be cut. */
export interface Piece {
  start: number;
  end: number;
  text?: string;
}

export const DEFAULT_MAX_TOKENS = 350;
/** Below this a chunk is too small to read on its own; absurd budgets are raised to it. */
const MIN_BUDGET_TOKENS = 16;

/** A chunk budget in tokens; a missing, zero or non-numeric budget means the default. */
export function budgetTokens(maxTokens: number | undefined): number {
  const tokens = Number.isFinite(maxTokens) && maxTokens ? maxTokens : DEFAULT_MAX_TOKENS;
  return Math.max(MIN_BUDGET_TOKENS, Math.floor(tokens));
}

/**
 * What is left of a budget for a body once a heading of `headingTokens` (and its newline) is added
 * to each piece; never less than half, so a very long title cannot shrink pieces to nothing.
 */
export function bodyBudget(budget: number, headingTokens: number): number {
  return Math.max(budget - headingTokens - 1, Math.floor(budget / 2));
}

/**
 * Splits free text (a record's body) the way a long Markdown section is split: at blank lines,
 * with code blocks kept whole when they fit. Headings in the text get no special treatment.
 * `reservedTokens` is room kept in each piece for a heading the caller puts above it.
 *
 * @example
 *   splitText(longArticle, { maxTokens: 200 }); // → ['first paragraphs (≤ 200 tokens)', …]
 */
export function splitText(
  text: string,
  options: { maxTokens?: number; reservedTokens?: number } = {},
): string[] {
  const layout = scanLayout(splitLines(text), 0);
  const budget = bodyBudget(budgetTokens(options.maxTokens), options.reservedTokens ?? 0);
  const pieces = packLines(layout, 0, layout.lines.length - 1, budget, 0);
  return pieces.map((piece) => pieceText(layout, piece));
}

/**
 * Packs the paragraphs and code blocks of lines from..to greedily into pieces of at most `budget`
 * tokens. A block over budget on its own is cut between lines (and a line over budget at a
 * space). With `overlap`, each later piece also repeats up to that many preceding lines.
 *
 * @example
 *   packLines(scanLayout(lines, 0), 0, lines.length - 1, 350, 0); // → [{ start: 0, end: 12 }, …]
 */
export function packLines(
  layout: MarkdownLayout,
  from: number,
  to: number,
  budget: number,
  overlap: number,
): Piece[] {
  const pieces: Piece[] = [];
  const rangeSize = rangeTokens(layout, from, to);
  let current: Piece | undefined;
  for (const block of blocks(layout, from, to)) {
    if (current && rangeSize(current.start, block.end) <= budget) {
      current.end = block.end;
      continue;
    }
    if (current) pieces.push(current);
    current = undefined;
    if (rangeSize(block.start, block.end) <= budget) current = { ...block };
    else pieces.push(...splitByLines(layout, block, budget, rangeSize));
  }
  if (current) pieces.push(current);
  return overlap > 0 ? withOverlap(layout, pieces, from, overlap) : pieces;
}

export function pieceText(layout: MarkdownLayout, piece: Piece): string {
  return piece.text ?? layout.lines.slice(piece.start, piece.end + 1).join('\n');
}

/**
 * Tokens of lines start..end (within from..to) joined with newlines: each line counted once, plus
 * a token per newline. Counting lines apart errs a little high (`\n\n` is one token, not two),
 * which keeps pieces within budget, and costs one pass instead of one count per candidate piece.
 */
function rangeTokens(
  layout: MarkdownLayout,
  from: number,
  to: number,
): (start: number, end: number) => number {
  const before = [0];
  for (let index = from; index <= to; index++) {
    before.push((before.at(-1) ?? 0) + countTokens(layout.lines[index] ?? '') + 1);
  }
  return (start, end) => (before[end + 1 - from] ?? 0) - (before[start - from] ?? 0) - 1;
}

function isBlank(line: string | undefined): boolean {
  return (line ?? '').trim() === '';
}

/** A fenced code block, or a run of non-blank lines; blank lines outside code separate them. */
function* blocks(layout: MarkdownLayout, from: number, to: number): Generator<Piece> {
  const { lines, fenceStart } = layout;
  let index = from;
  while (index <= to) {
    const fence = fenceStart[index] ?? -1;
    if (fence < 0 && isBlank(lines[index])) {
      index++;
      continue;
    }
    const sameBlock = (next: number) =>
      fence >= 0 ? fenceStart[next] === fence : fenceStart[next] === -1 && !isBlank(lines[next]);
    let end = index;
    while (end < to && sameBlock(end + 1)) end++;
    yield { start: index, end };
    index = end + 1;
  }
}

function splitByLines(
  layout: MarkdownLayout,
  block: Piece,
  budget: number,
  rangeSize: (start: number, end: number) => number,
): Piece[] {
  const pieces: Piece[] = [];
  let start = -1;
  for (let index = block.start; index <= block.end; index++) {
    if (start >= 0 && rangeSize(start, index) > budget) {
      pieces.push({ start, end: index - 1 });
      start = -1;
    }
    if (rangeSize(index, index) > budget) {
      pieces.push(...cutLine(layout.lines[index] ?? '', index, budget));
    } else if (start < 0) {
      start = index;
    }
  }
  if (start >= 0) pieces.push({ start, end: block.end });
  return pieces;
}

/** Cuts a line over budget into pieces of at most `budget` tokens, at a space where there is one. */
function cutLine(line: string, index: number, budget: number): Piece[] {
  const pieces: Piece[] = [];
  let rest = line.trim();
  while (rest.length > 0) {
    const cut = cutWithin(rest, budget);
    pieces.push({ start: index, end: index, text: rest.slice(0, cut).trimEnd() });
    rest = rest.slice(cut).trimStart();
  }
  return pieces;
}

/** How many leading characters of `text` fit in `budget` tokens (all of it when it fits). */
function cutWithin(text: string, budget: number): number {
  // Four characters a token as a first guess, rescaled by the density measured on that much text,
  // then shrunk until it fits.
  const guess = cutAt(text, budget * 4);
  let chars =
    guess === text.length
      ? guess
      : Math.floor((guess * budget) / Math.max(1, countTokens(text.slice(0, guess))));
  for (;;) {
    const cut = cutAt(text, chars);
    const tokens = countTokens(text.slice(0, cut));
    if (tokens <= budget || cut <= 1) return cut;
    chars = Math.max(1, Math.floor((cut * budget) / tokens) - 1);
  }
}

/** At most `chars` characters: at the last space past the middle, else exactly there. */
function cutAt(text: string, chars: number): number {
  if (chars >= text.length) return text.length;
  const space = text.lastIndexOf(' ', chars);
  const cut = space > chars / 2 ? space : chars;
  // Never split a surrogate pair: half an emoji is not text.
  return cut > 1 && /[\uD800-\uDBFF]/.test(text[cut - 1] ?? '') ? cut - 1 : cut;
}

/** Moves each later piece's start back by up to `overlap` lines, but not into another code block. */
function withOverlap(
  layout: MarkdownLayout,
  pieces: Piece[],
  from: number,
  overlap: number,
): Piece[] {
  return pieces.map((piece, index) => {
    if (index === 0 || piece.text !== undefined) return piece;
    const ownFence = layout.fenceStart[piece.start] ?? -1;
    let start = piece.start;
    while (start > from && piece.start - start < overlap) {
      const fence = layout.fenceStart[start - 1] ?? -1;
      if (fence >= 0 && fence !== ownFence) break;
      start--;
    }
    while (start < piece.start && isBlank(layout.lines[start])) start++;
    return { ...piece, start };
  });
}
