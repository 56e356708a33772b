/**
 * Text handling for the extractive provider: Markdown passages into quotable sentences.
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^#{1,6}(?:\s|$)/;
const SETEXT_UNDERLINE = /^(?:=+|-+)$/;
const THEMATIC_BREAK = /^([-*_])(?:\s*\1){2,}$/;
const TABLE_ROW = /^\|/;
const HTML_ONLY = /^<[^>]*>$|^<!--.*-->$/;
const LIST_ITEM = /^(?:[-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE_MARKER = /^(?:>\s?)+/;
// A command short enough to quote inline after its lead-in ("To roll back, run:").
const MAX_INLINE_CODE_LINES = 3;
const MAX_INLINE_CODE_CHARS = 100;

/**
 * Paragraphs and list items of a Markdown passage as plain-text blocks. Headings, tables and
 * code are not prose and are dropped, except a short command right after a sentence ending in
 * ":" which is attached to it, because that command is usually the answer.
 */
export function markdownBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let paragraph: string[] = [];
  let code: { marker: string; lines: string[] } | undefined;
  const flush = () => {
    if (paragraph.length > 0) blocks.push(paragraph.join(' '));
    paragraph = [];
  };
  for (const rawLine of markdown.split(/\r?\n/)) {
    if (code) {
      const trimmed = rawLine.trim();
      if (trimmed.startsWith(code.marker) && /^(`+|~+)$/.test(trimmed)) {
        attachCommand(blocks, code.lines);
        code = undefined;
      } else code.lines.push(rawLine);
      continue;
    }
    const fence = FENCE.exec(rawLine);
    if (fence?.[1]) {
      flush();
      code = { marker: fence[1], lines: [] };
      continue;
    }
    const line = rawLine.trim().replace(QUOTE_MARKER, '').trim();
    if (SETEXT_UNDERLINE.test(line) && paragraph.length > 0) {
      paragraph = []; // The lines above were a setext heading, not prose.
      continue;
    }
    if (!line || HEADING.test(line) || THEMATIC_BREAK.test(line)) flush();
    else if (TABLE_ROW.test(line) || HTML_ONLY.test(line)) flush();
    else {
      const item = LIST_ITEM.exec(line);
      if (item) flush();
      paragraph.push(item?.[1] ?? line);
    }
  }
  flush();
  return blocks.map(cleanInline).filter((block) => block.length > 0);
}

function attachCommand(blocks: string[], codeLines: string[]): void {
  const lead = blocks[blocks.length - 1];
  const commands = codeLines
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#') && !line.startsWith('//'));
  const fits =
    commands.length > 0 &&
    commands.length <= MAX_INLINE_CODE_LINES &&
    commands.every((line) => line.length <= MAX_INLINE_CODE_CHARS && !line.includes('`'));
  if (lead === undefined || !lead.trimEnd().endsWith(':') || !fits) return;
  blocks[blocks.length - 1] =
    `${lead.trimEnd()} ${commands.map((line) => `\`${line}\``).join(', ')}.`;
}

/** Markdown inline syntax to plain text; numeric markers are removed so they never pass as citations. */
function cleanInline(text: string): string {
  return text
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/\s+/g, ' ')
    .trim();
}

const SENTENCE_END = /[.!?]+["')\]]*\s+(?=[\p{Lu}\p{N}`"'(*[])/gu;
const ABBREVIATION = /(?:^|\s|\()(?:e\.g|i\.e|etc|vs|cf|approx|incl)\.["')\]]*$/i;
const MIN_WORDS = 4;
const MIN_CHARS = 20;
const MAX_CHARS = 600;

/**
 * The quotable sentences of a Markdown passage, in reading order. Fragments, lead-ins ending in
 * ":" and questions are left out: none of them states anything a reader could rely on.
 */
export function passageSentences(markdown: string): string[] {
  const sentences: string[] = [];
  for (const block of markdownBlocks(markdown)) {
    let start = 0;
    for (const match of block.matchAll(SENTENCE_END)) {
      const end = (match.index ?? 0) + match[0].length;
      if (ABBREVIATION.test(block.slice(start, end).trimEnd())) continue;
      sentences.push(block.slice(start, end).trim());
      start = end;
    }
    sentences.push(block.slice(start).trim());
  }
  return sentences.filter(isQuotable);
}

function isQuotable(sentence: string): boolean {
  const words = sentence.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  return (
    words >= MIN_WORDS &&
    sentence.length >= MIN_CHARS &&
    sentence.length <= MAX_CHARS &&
    !/[:?]$/.test(sentence)
  );
}
