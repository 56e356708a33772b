/** A heading found in a Markdown text. */
export interface Heading {
  /** First and last source line (0-based); a setext heading spans its text and underline. */
  start: number;
  end: number;
  level: number;
  title: string;
}

/** The lines of a text, where its fenced code blocks are, and (for Markdown) its headings. */
export interface MarkdownLayout {
  lines: string[];
  /** `fenceStart[i]` is the first line of the fenced code block holding line i, or -1. */
  fenceStart: number[];
  /** `offsets[i]` is where line i starts when the lines are joined with one newline each. */
  offsets: number[];
  headings: Heading[];
}

const MAX_TITLE_CHARS = 200;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
// No lazy quantifier before `$`: on a long line of spaces that would backtrack quadratically.
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
/** Lines that open a list item, quote, indented code or table: never the text of a setext heading. */
const NOT_PARAGRAPH_START = /^(?: {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)| {0,3}>| {4}|\t| {0,3}\|)/;

/** Splits on LF, CRLF or a lone CR, so line numbers match what any editor shows. */
export function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n?|\n/);
}

/** Collapses whitespace and caps the length, so a garbage "heading" cannot bloat every chunk. */
export function cleanTitle(title: string): string {
  const clean = title.replace(/\s+/g, ' ').trim();
  return clean.length > MAX_TITLE_CHARS ? `${clean.slice(0, MAX_TITLE_CHARS - 1)}…` : clean;
}

/**
 * One pass over the lines from `from` on: fenced code blocks (an unclosed fence runs to the end,
 * as CommonMark renders it), then ATX and setext headings outside them. A heading with no text
 * (`#` alone) is treated as ordinary text, since it could not title anything.
 *
 * @example
 *   scanLayout(splitLines('Title\n=====\n```\n# not a heading\n```'), 0).headings;
 *   // → [{ start: 0, end: 1, level: 1, title: 'Title' }]
 */
export function scanLayout(lines: string[], from: number): MarkdownLayout {
  const fenceStart = new Array<number>(lines.length).fill(-1);
  const headings: Heading[] = [];
  let fence: { start: number; marker: string } | undefined;
  // First line of a paragraph an underline could turn into a heading; -2 marks a paragraph that
  // began as a list item or quote, whose underline is a thematic break instead.
  let paragraphStart = -1;
  for (let index = from; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (fence) {
      fenceStart[index] = fence.start;
      if (closesFence(line, fence.marker)) fence = undefined;
      continue;
    }
    const fenceMarker = openingFence(line);
    const atx = ATX_HEADING.exec(line);
    const atxTitle = cleanTitle(withoutClosingHashes(atx?.[2] ?? ''));
    const underline = SETEXT_UNDERLINE.exec(line)?.[1];
    if (fenceMarker) {
      fence = { start: index, marker: fenceMarker };
      fenceStart[index] = index;
    } else if (atx?.[1] && atxTitle) {
      headings.push({ start: index, end: index, level: atx[1].length, title: atxTitle });
    } else if (underline && paragraphStart >= 0) {
      const title = cleanTitle(lines.slice(paragraphStart, index).join(' '));
      const level = underline[0] === '=' ? 1 : 2;
      headings.push({ start: paragraphStart, end: index, level, title });
    } else if (line.trim() !== '' && !isThematicBreak(line)) {
      if (paragraphStart === -1) paragraphStart = NOT_PARAGRAPH_START.test(line) ? -2 : index;
      continue;
    }
    paragraphStart = -1;
  }
  const offsets = [0];
  for (const line of lines) offsets.push((offsets.at(-1) ?? 0) + line.length + 1);
  return { lines, fenceStart, offsets, headings };
}

/**
 * `---`, `* * *`, `___`. Tested without a backreference regex, which exhausts the stack on a
 * multi-megabyte line of dashes.
 */
function isThematicBreak(line: string): boolean {
  if (!/^ {0,3}[-*_]/.test(line)) return false;
  const marks = line.replace(/[ \t]/g, '');
  return marks.length >= 3 && /^(?:-+|\*+|_+)$/.test(marks);
}

/** `## Title ##` → `Title`; a `#` glued to a word (`C#`) is part of the title. */
function withoutClosingHashes(text: string): string {
  const trimmed = text.trimEnd();
  let end = trimmed.length;
  while (end > 0 && trimmed[end - 1] === '#') end--;
  if (end === trimmed.length || (end > 0 && !/[ \t]/.test(trimmed[end - 1] ?? ''))) return trimmed;
  return trimmed.slice(0, end);
}

function openingFence(line: string): string | undefined {
  const match = FENCE_OPEN.exec(line);
  // A backtick fence's info string may not contain backticks (that is inline code).
  if (!match?.[1] || (match[1][0] === '`' && match[2]?.includes('`'))) return undefined;
  return match[1];
}

function closesFence(line: string, marker: string): boolean {
  const match = FENCE_CLOSE.exec(line)?.[1];
  return !!match && match[0] === marker[0] && match.length >= marker.length;
}
