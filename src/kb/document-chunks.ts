import type { ChunkDraftInput, SourceConfig } from '../store/store.js';
import { estimateTokens } from '../providers/provider.js';
import { type ChunkDraft, chunkMarkdown } from './chunk-markdown.js';
import { parseRecords, recordsToChunks } from './parse-records.js';
import { formatForPath } from './walk-files.js';

export interface ParsedDocument {
  title: string;
  chunks: ChunkDraftInput[];
  errors: string[];
}

/** Chunks one file by its format; errors name what is wrong (and the line, for records). */
export function documentChunks(
  path: string,
  text: string,
  fields: SourceConfig['fields'],
): ParsedDocument {
  const format = formatForPath(path);
  const fileName = path.split('/').pop() ?? path;
  if (text.includes('\u0000')) {
    return { title: fileName, chunks: [], errors: ['File looks binary (contains NUL bytes)'] };
  }
  if (format === 'json' || format === 'jsonl') {
    const { records, errors } = parseRecords(text, format, {
      text: fields?.text ?? 'text',
      ...(fields?.id && { id: fields.id }),
      ...(fields?.title && { title: fields.title }),
    });
    const drafts = records.flatMap((record) => recordsToChunks(record));
    return {
      title: records.length === 1 ? (records[0]?.title ?? fileName) : fileName,
      chunks: drafts.map(toInput),
      errors: errors.map((error) =>
        error.line ? `line ${error.line}: ${error.message}` : error.message,
      ),
    };
  }
  const drafts = chunkMarkdown(text, { documentTitle: fileName.replace(/\.(md|markdown)$/i, '') });
  return { title: drafts[0]?.headingPath[0] ?? fileName, chunks: drafts.map(toInput), errors: [] };
}

function toInput(draft: ChunkDraft): ChunkDraftInput {
  return {
    heading: draft.headingPath.join(' > '),
    lineStart: draft.lineStart,
    lineEnd: draft.lineEnd,
    text: draft.text,
    tokenCount: estimateTokens(draft.text),
  };
}
