import type { ChunkDraft } from './chunk-markdown.js';
import { lineOfOffset, lineStartOffsets, recordSpans } from './json-spans.js';
import { countTokens } from '../providers/token-count.js';
import { splitText } from './split-by-budget.js';

/** One knowledge record from a JSON or JSONL file. */
export interface RecordDraft {
  id: string;
  title: string;
  text: string;
  /** 1-based, inclusive lines of the record in its file. */
  lineStart: number;
  lineEnd: number;
}

/** Which fields hold the id, title and text; dotted paths (`fields.body`) reach nested objects. */
export interface RecordFieldMapping {
  id?: string;
  title?: string;
  text?: string;
}

export interface RecordError {
  line?: number;
  message: string;
}

export interface ParsedRecords {
  records: RecordDraft[];
  errors: RecordError[];
}

type JsonObject = Record<string, unknown>;

interface Fields {
  id: string;
  title: string;
  text: string;
}

/**
 * Reads knowledge records. JSON may be an array of objects, an object with one array of objects,
 * or a single object; JSONL holds one object per line. Problems are returned, not thrown: a bad
 * line or a record without its text names the line and the record, and the rest still parse.
 * A record without an id gets its position (`line-7`, `record-3`); without a title, its id.
 *
 * @example
 *   parseRecords('{"id":"a","fields":{"body":"Hi"}}\n', 'jsonl', { text: 'fields.body' });
 *   // → { records: [{ id: 'a', title: 'a', text: 'Hi', lineStart: 1, lineEnd: 1 }], errors: [] }
 */
export function parseRecords(
  text: string,
  format: 'json' | 'jsonl',
  mapping: RecordFieldMapping = {},
): ParsedRecords {
  const fields: Fields = {
    id: mapping.id || 'id',
    title: mapping.title || 'title',
    text: mapping.text || 'text',
  };
  const result: ParsedRecords = { records: [], errors: [] };
  // A byte-order mark is not JSON; a space keeps every offset and line number where it was.
  const source = text.replace(/^\uFEFF/, ' ');
  if (format === 'jsonl') parseJsonLines(source, fields, result);
  else parseJsonDocument(source, fields, result);
  return result;
}

/**
 * Chunks for one record: headed by its title, the text split at paragraph boundaries when it is
 * over budget, each chunk citing the record's lines (a JSON string has no lines of its own).
 *
 * @example
 *   recordsToChunks({ id: 'a', title: 'Refunds', text: 'Within 30 days.', lineStart: 4, lineEnd: 4 });
 *   // → [{ headingPath: ['Refunds'], lineStart: 4, lineEnd: 4, text: 'Refunds\n\nWithin 30 days.' }]
 */
export function recordsToChunks(
  record: RecordDraft,
  options: { maxTokens?: number } = {},
): ChunkDraft[] {
  // The title line and the blank line under it are repeated in every chunk.
  const reservedTokens = countTokens(`${record.title}\n\n`);
  const pieces = splitText(record.text, { ...options, reservedTokens });
  return pieces
    .filter((piece) => piece.trim() !== '')
    .map((piece) => ({
      headingPath: [record.title],
      lineStart: record.lineStart,
      lineEnd: record.lineEnd,
      text: `${record.title}\n\n${piece}`,
    }));
}

function parseJsonLines(source: string, fields: Fields, result: ParsedRecords): void {
  source.split(/\r\n?|\n/).forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      result.errors.push({
        line: lineNumber,
        message: `Invalid JSON: ${(error as Error).message}`,
      });
      return;
    }
    const place = { fallbackId: `line-${lineNumber}`, lineStart: lineNumber, lineEnd: lineNumber };
    addRecord(value, place, fields, result);
  });
}

function parseJsonDocument(source: string, fields: Fields, result: ParsedRecords): void {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    result.errors.push({
      ...jsonErrorLine(source, error),
      message: `Invalid JSON: ${(error as Error).message}`,
    });
    return;
  }
  const located = locateRecords(value, fields);
  if ('error' in located) {
    result.errors.push({ message: located.error });
    return;
  }
  const lineStarts = lineStartOffsets(source);
  const spans = recordSpans(source, located.key);
  located.items.forEach((item, index) => {
    const span = spans?.[index];
    const place = {
      fallbackId: `record-${index + 1}`,
      lineStart: span ? lineOfOffset(lineStarts, span.start) : 1,
      lineEnd: span ? lineOfOffset(lineStarts, span.end - 1) : lineStarts.length,
    };
    addRecord(item, place, fields, result);
  });
}

/**
 * The records of a JSON document: the array itself, the one array (of objects) among an object's
 * properties, or the object as a single record. `key` names the property holding the array.
 */
function locateRecords(
  value: unknown,
  fields: Fields,
): { items: unknown[]; key?: string } | { error: string } {
  if (Array.isArray(value)) return { items: value };
  if (!isJsonObject(value))
    return { error: `Expected an array of records or an object, found ${kindOf(value)}` };
  if (fieldValue(value, fields.text) !== undefined) return { items: [value] };
  const arrays = Object.entries(value).filter(([, item]) => Array.isArray(item));
  const ofObjects = arrays.filter(([, item]) => Array.isArray(item) && item.every(isJsonObject));
  const candidates = arrays.length === 1 ? arrays : ofObjects;
  const [only] = candidates;
  if (candidates.length === 1 && only && Array.isArray(only[1])) {
    return { items: only[1], key: only[0] };
  }
  if (candidates.length > 1) {
    const names = candidates.map(([key]) => `"${key}"`).join(', ');
    return { error: `Several arrays could hold the records (${names}); expected one` };
  }
  return { items: [value] };
}

function addRecord(
  value: unknown,
  place: { fallbackId: string; lineStart: number; lineEnd: number },
  fields: Fields,
  result: ParsedRecords,
): void {
  if (!isJsonObject(value)) {
    const message = `Record ${place.fallbackId} is ${kindOf(value)}, not an object`;
    result.errors.push({ line: place.lineStart, message });
    return;
  }
  const id = scalarText(fieldValue(value, fields.id)) || place.fallbackId;
  const text = scalarText(fieldValue(value, fields.text));
  if (text === undefined || text.trim() === '') {
    const problem = text === undefined ? 'has no' : 'has an empty';
    const message = `Record "${id}" ${problem} "${fields.text}" field`;
    result.errors.push({ line: place.lineStart, message });
    return;
  }
  const title = scalarText(fieldValue(value, fields.title))?.trim() || id;
  result.records.push({ id, title, text, lineStart: place.lineStart, lineEnd: place.lineEnd });
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Follows a dotted path; a key that itself contains the dots wins over nesting. */
function fieldValue(object: JsonObject, path: string): unknown {
  if (Object.hasOwn(object, path)) return object[path];
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!isJsonObject(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** V8 says where JSON broke as "at position N"; an unexpected end is on the last line. */
function jsonErrorLine(source: string, error: unknown): { line?: number } {
  const message = (error as Error).message;
  const lineStarts = lineStartOffsets(source);
  const position = /\bat position (\d+)/.exec(message)?.[1];
  if (position) return { line: lineOfOffset(lineStarts, Number(position)) };
  return /end of (?:JSON|data) input/i.test(message) ? { line: lineStarts.length } : {};
}
