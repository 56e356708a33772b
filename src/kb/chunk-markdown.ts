import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  cleanTitle,
  type Heading,
  type MarkdownLayout,
  scanLayout,
  splitLines,
} from './markdown-layout.js';
import { countTokens } from '../providers/token-count.js';
import { bodyBudget, budgetTokens, packLines, type Piece, pieceText } from './split-by-budget.js';

/** One retrievable passage of a file. */
export interface ChunkDraft {
  /** Heading titles from the outermost down, e.g. `["Policies", "Rolling back"]`. */
  headingPath: string[];
  /** 1-based, inclusive line numbers in the source file. */
  lineStart: number;
  lineEnd: number;
  text: string;
}

export interface ChunkMarkdownOptions {
  /** Budget per chunk in tokens (o200k_base, see `countTokens`). Default 350. */
  maxTokens?: number;
  /** Lines of the previous chunk repeated atop the next when a section is split (beyond the budget). */
  overlapLines?: number;
  /** Title for text before the first heading when the file has neither front matter title nor H1. */
  documentTitle?: string;
}

const MAX_FRONT_MATTER_LINES = 500;
const MAX_FRONT_MATTER_CHARS = 16_384;
const FrontMatter = z.object({ title: z.union([z.string(), z.number()]).optional() });

/**
 * Splits Markdown into heading-aware chunks. Each ATX or setext heading starts a section whose
 * chunks carry the path of headings above it; sections are never merged, small paragraphs within
 * one are. A section over budget is split at blank lines, never inside a fenced code block unless
 * that block alone is over budget. A section's first chunk starts at its heading line; later ones
 * repeat the heading (as `## Title`) above their body, and their line range covers the body only.
 * Text before the first heading is titled by the front matter `title`, else the first H1, else
 * `documentTitle`. Front matter is skipped; empty sections yield nothing. Never throws.
 *
 * @example
 *   chunkMarkdown('# Policies\n\n## Rolling back\nRun `keel policy rollback`.\n');
 *   // → [{ headingPath: ['Policies', 'Rolling back'], lineStart: 3, lineEnd: 4,
 *   //      text: '## Rolling back\nRun `keel policy rollback`.' }]
 */
export function chunkMarkdown(text: string, options: ChunkMarkdownOptions = {}): ChunkDraft[] {
  const lines = splitLines(text);
  const frontMatter = readFrontMatter(lines);
  const layout = scanLayout(lines, frontMatter.bodyStart);
  const budget = budgetTokens(options.maxTokens);
  const overlap = Math.max(0, Math.floor(options.overlapLines ?? 0)) || 0;
  const documentTitle =
    frontMatter.title ??
    layout.headings.find((heading) => heading.level === 1)?.title ??
    cleanTitle(options.documentTitle ?? '');

  const firstHeading = layout.headings[0];
  const preambleEnd = firstHeading ? firstHeading.start - 1 : lines.length - 1;
  const chunks = packLines(layout, frontMatter.bodyStart, preambleEnd, budget, overlap).map(
    (piece) => toChunk(layout, piece, documentTitle ? [documentTitle] : []),
  );

  const enclosing: Heading[] = [];
  layout.headings.forEach((heading, index) => {
    while ((enclosing.at(-1)?.level ?? 0) >= heading.level) enclosing.pop();
    enclosing.push(heading);
    const path = enclosing.map((entry) => entry.title);
    const next = layout.headings[index + 1];
    const sectionEnd = next ? next.start - 1 : lines.length - 1;
    const prefix = `${'#'.repeat(heading.level)} ${heading.title}`;
    // Every chunk carries the heading (its own lines or the prefix); the budget makes room for it.
    const sectionBudget = bodyBudget(budget, countTokens(prefix));
    const pieces = packLines(layout, heading.end + 1, sectionEnd, sectionBudget, overlap);
    pieces.forEach((piece, pieceIndex) => {
      chunks.push(
        pieceIndex === 0
          ? withHeadingLines(layout, heading, piece, path)
          : toChunk(layout, piece, path, prefix),
      );
    });
  });
  return chunks;
}

/**
 * YAML between `---` lines at the very top. A block that is not a YAML mapping is ordinary text
 * (two thematic breaks, say), so a document that merely starts with `---` loses nothing; so is
 * an implausibly large block, which would only make the YAML parser slow.
 */
function readFrontMatter(lines: string[]): { bodyStart: number; title?: string } {
  if ((lines[0] ?? '').trimEnd() !== '---') return { bodyStart: 0 };
  const close = lines
    .slice(0, MAX_FRONT_MATTER_LINES)
    .findIndex((line, index) => index > 0 && /^(?:---|\.\.\.)[ \t]*$/.test(line));
  const yaml = lines.slice(1, Math.max(close, 1)).join('\n');
  if (close < 0 || yaml.length > MAX_FRONT_MATTER_CHARS) return { bodyStart: 0 };
  let data: unknown;
  try {
    data = parseYaml(yaml) ?? {};
  } catch {
    return { bodyStart: 0 };
  }
  const parsed = FrontMatter.safeParse(data);
  if (!parsed.success) return { bodyStart: 0 };
  const title = cleanTitle(String(parsed.data.title ?? ''));
  return title ? { bodyStart: close + 1, title } : { bodyStart: close + 1 };
}

function toChunk(
  layout: MarkdownLayout,
  piece: Piece,
  headingPath: string[],
  prefix = '',
): ChunkDraft {
  const body = pieceText(layout, piece);
  return {
    headingPath,
    lineStart: piece.start + 1,
    lineEnd: piece.end + 1,
    text: prefix ? `${prefix}\n${body}` : body,
  };
}

/** A section's first chunk starts at its heading, so its range and text include the heading. */
function withHeadingLines(
  layout: MarkdownLayout,
  heading: Heading,
  piece: Piece,
  headingPath: string[],
): ChunkDraft {
  const { lines } = layout;
  const text =
    piece.text === undefined
      ? lines.slice(heading.start, piece.end + 1).join('\n')
      : `${lines.slice(heading.start, heading.end + 1).join('\n')}\n${piece.text}`;
  return { headingPath, lineStart: heading.start + 1, lineEnd: piece.end + 1, text };
}
