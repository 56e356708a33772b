import { type MarkdownLayout, scanLayout, splitLines } from './markdown-layout.js';

/** A run of lines (0-based, inclusive); `text` is set when one overlong line had to be cut. */
export interface Piece {
  start: number;
  end: number;
  text?: string;
}

export const DEFAULT_MAX_TOKENS = 350;
/** The same ratio as `estimateTokens` in providers, so budgets and token counts agree. */
const CHARS_PER_TOKEN = 4;
/** Below this a chunk is too small to read on its own; absurd budgets are raised to it. */
const MIN_BUDGET_CHARS = 64;

/** A token budget as characters; a missing, zero or non-numeric budget means the default. */
export function budgetChars(maxTokens: number | undefined): number {
  const tokens = Number.isFinite(maxTokens) && maxTokens ? maxTokens : DEFAULT_MAX_TOKENS;
  return Math.max(MIN_BUDGET_CHARS, Math.floor(tokens * CHARS_PER_TOKEN));
}

/**
 * What is left of a budget for a body once a heading of `headingChars` (and its newline) is added
 * to each piece; never less than half, so a very long title cannot shrink pieces to nothing.
 */
export function bodyBudget(budget: number, headingChars: number): number {
  return Math.max(budget - headingChars - 1, Math.floor(budget / 2));
}

/**
 * Splits free text (a record's body) the way a long Markdown section is split: at blank lines,
 * with code blocks kept whole when they fit. Headings in the text get no special treatment.
 * `reservedChars` is room kept in each piece for a heading the caller puts above it.
 *
 * @example
 *   splitText(longArticle, { maxTokens: 200 }); // → ['first paragraphs (≤ 800 characters)', …]
 */
export function splitText(
  text: string,
  options: { maxTokens?: number; reservedChars?: number } = {},
): string[] {
  const layout = scanLayout(splitLines(text), 0);
  const budget = bodyBudget(budgetChars(options.maxTokens), options.reservedChars ?? 0);
  const pieces = packLines(layout, 0, layout.lines.length - 1, budget, 0);
  return pieces.map((piece) => pieceText(layout, piece));
}

/**
 * Packs the paragraphs and code blocks of lines from..to greedily into pieces of at most `budget`
 * characters. A block over budget on its own is cut between lines (and a line over budget at a
 * space). With `overlap`, each later piece also repeats up to that many preceding lines.
 *
 * @example
 *   packLines(scanLayout(lines, 0), 0, lines.length - 1, 1400, 0); // → [{ start: 0, end: 12 }, …]
 */
export function packLines(
  layout: MarkdownLayout,
  from: number,
  to: number,
  budget: number,
  overlap: number,
): Piece[] {
  const pieces: Piece[] = [];
  let current: Piece | undefined;
  for (const block of blocks(layout, from, to)) {
    if (current && rangeSize(layout, current.start, block.end) <= budget) {
      current.end = block.end;
      continue;
    }
    if (current) pieces.push(current);
    current = undefined;
    if (rangeSize(layout, block.start, block.end) <= budget) current = { ...block };
    else pieces.push(...splitByLines(layout, block, budget));
  }
  if (current) pieces.push(current);
  return overlap > 0 ? withOverlap(layout, pieces, from, overlap) : pieces;
}

export function pieceText(layout: MarkdownLayout, piece: Piece): string {
  return piece.text ?? layout.lines.slice(piece.start, piece.end + 1).join('\n');
}

/** Characters of lines start..end joined with newlines. */
function rangeSize(layout: MarkdownLayout, start: number, end: number): number {
  return (layout.offsets[end + 1] ?? 0) - (layout.offsets[start] ?? 0) - 1;
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

function splitByLines(layout: MarkdownLayout, block: Piece, budget: number): Piece[] {
  const pieces: Piece[] = [];
  let start = -1;
  for (let index = block.start; index <= block.end; index++) {
    if (start >= 0 && rangeSize(layout, start, index) > budget) {
      pieces.push({ start, end: index - 1 });
      start = -1;
    }
    if (rangeSize(layout, index, index) > budget) {
      pieces.push(...cutLine(layout.lines[index] ?? '', index, budget));
    } else if (start < 0) {
      start = index;
    }
  }
  if (start >= 0) pieces.push({ start, end: block.end });
  return pieces;
}

function cutLine(line: string, index: number, budget: number): Piece[] {
  const pieces: Piece[] = [];
  let rest = line.trim();
  while (rest.length > 0) {
    let cut = rest.length;
    if (rest.length > budget) {
      const space = rest.lastIndexOf(' ', budget);
      cut = space > budget / 2 ? space : budget;
      // Never split a surrogate pair: half an emoji is not text.
      if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut -= 1;
    }
    pieces.push({ start: index, end: index, text: rest.slice(0, cut).trimEnd() });
    rest = rest.slice(cut).trimStart();
  }
  return pieces;
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
