import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type {
  ChunkDraftInput,
  DocumentUpsert,
  FileStats,
  SourceConfig,
  SyncError,
} from '../store/store.js';
import { countTokens } from '../providers/token-count.js';
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
    tokenCount: countTokens(draft.text),
  };
}

const MAX_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Reads, hashes and chunks one file. Problems come back as sync errors naming the file; a file
 * that yields no chunks and has errors gives no upsert, so its previous chunks stay.
 */
export async function readDocument(
  file: { path: string; absolutePath: string } & FileStats,
  fields: SourceConfig['fields'],
): Promise<{ upsert?: DocumentUpsert; errors: SyncError[] }> {
  if (file.size > MAX_FILE_BYTES) {
    return {
      errors: [
        { path: file.path, message: `File is ${file.size} bytes; the limit is ${MAX_FILE_BYTES}` },
      ],
    };
  }
  let content: Buffer;
  try {
    content = await readFile(file.absolutePath);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { errors: [{ path: file.path, message: `Could not read file: ${reason}` }] };
  }
  const parsed = documentChunks(file.path, content.toString('utf8'), fields);
  const errors = parsed.errors.map((message) => ({ path: file.path, message }));
  if (parsed.chunks.length === 0 && parsed.errors.length > 0) return { errors };
  return {
    errors,
    upsert: {
      path: file.path,
      stats: { size: file.size, mtimeMs: file.mtimeMs },
      contentHash: createHash('sha256').update(content).digest('hex'),
      title: parsed.title || basename(file.path),
      chunks: parsed.chunks,
    },
  };
}
