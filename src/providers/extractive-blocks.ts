/**
 * A passage's Markdown as blocks kept verbatim — paragraphs, lists, code, tables — so the
 * extractive provider can quote a procedure whole (its numbered steps and commands intact)
 * instead of picking sentences out of it.
 */

export type BlockKind = 'paragraph' | 'list' | 'code' | 'table' | 'heading';

export interface MarkdownBlock {
  kind: BlockKind;
  /** The block's own Markdown lines, joined by newlines. */
  markdown: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^ {0,3}#{1,6}(?:\s|$)/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)\s*$/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])\s+\S/;
const TABLE_ROW = /^ {0,3}\|/;
const INDENTED = /^(?: {2,}|\t)\S/;
const HTML_ONLY = /^\s*(?:<[^>]*>|<!--.*-->)\s*$/;

/**
 * Splits Markdown into blocks in reading order. A list runs on across blank lines while the next
 * line is another item or indented under one; a fence left open runs to the end of the passage.
 */
export function markdownBlocks(markdown: string): MarkdownBlock[] {
  const blocks: MarkdownBlock[] = [];
  let current: { kind: BlockKind; lines: string[] } | undefined;
  let fence: string | undefined;
  let blankInList = false;
  const flush = () => {
    if (current && current.lines.some((line) => line.trim() !== '')) {
      blocks.push({ kind: current.kind, markdown: current.lines.join('\n').trimEnd() });
    }
    current = undefined;
    blankInList = false;
  };
  const start = (kind: BlockKind, line: string) => {
    flush();
    current = { kind, lines: [line] };
  };
  for (const line of markdown.split(/\r?\n/)) {
    if (fence !== undefined) {
      current?.lines.push(line);
      const trimmed = line.trim();
      if (trimmed.startsWith(fence) && /^(`+|~+)$/.test(trimmed)) {
        fence = undefined;
        flush();
      }
      continue;
    }
    const opening = FENCE.exec(line);
    if (opening?.[1]) {
      start('code', line);
      fence = opening[1];
      continue;
    }
    if (line.trim() === '') {
      if (current?.kind === 'list') blankInList = true;
      else flush();
      continue;
    }
    if (current?.kind === 'list' && (LIST_ITEM.test(line) || INDENTED.test(line))) {
      if (blankInList) current.lines.push('');
      blankInList = false;
      current.lines.push(line);
      continue;
    }
    if (blankInList) flush();
    if (ATX_HEADING.test(line)) {
      start('heading', line);
      flush();
    } else if (SETEXT_UNDERLINE.test(line) && current?.kind === 'paragraph') {
      current.kind = 'heading';
      current.lines.push(line);
      flush();
    } else if (LIST_ITEM.test(line)) {
      start('list', line);
    } else if (TABLE_ROW.test(line)) {
      if (current?.kind === 'table') current.lines.push(line);
      else start('table', line);
    } else if (HTML_ONLY.test(line)) {
      flush();
    } else if (current?.kind === 'paragraph' || current?.kind === 'list') {
      current.lines.push(line); // A lazy continuation line.
    } else {
      start('paragraph', line);
    }
  }
  flush();
  return blocks;
}

/** Numeric markers in quoted text would pass for Keel's own citations; code is left alone. */
export function withoutCitationMarkers(block: MarkdownBlock): string {
  if (block.kind === 'code') return block.markdown;
  return block.markdown.replace(/[ \t]*\[\d+(?:\s*,\s*\d+)*\](?![([])/g, '');
}
