/** Where a value sits in a JSON text: offsets [start, end). */
export interface Span {
  start: number;
  end: number;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * Finds each record's place in a JSON text that `JSON.parse` has already accepted, so records can
 * cite their own lines rather than the whole file. With `key`, the records are the array under
 * that property of the root object; without, the root array's elements, or the root value itself.
 * Returns undefined when the text does not have that shape.
 *
 * @example
 *   recordSpans('{"items": [{"a": 1}, {"a": 2}]}', 'items');
 *   // → [{ start: 11, end: 19 }, { start: 21, end: 29 }]
 */
export function recordSpans(source: string, key?: string): Span[] | undefined {
  const root = skipSpace(source, 0);
  if (key === undefined) {
    return source[root] === '['
      ? elementSpans(source, root)
      : [{ start: root, end: valueEnd(source, root) }];
  }
  if (source[root] !== '{') return undefined;
  const array = propertyValueStart(source, root, key);
  return array !== undefined && source[array] === '[' ? elementSpans(source, array) : undefined;
}

/** Offsets at which each line starts; LF, CRLF and a lone CR all end a line. */
export function lineStartOffsets(source: string): number[] {
  const starts = [0];
  for (const match of source.matchAll(/\r\n?|\n/g)) starts.push(match.index + match[0].length);
  return starts;
}

/** The 1-based line holding `offset`. */
export function lineOfOffset(lineStarts: number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((lineStarts[middle] ?? 0) <= offset) low = middle;
    else high = middle - 1;
  }
  return low + 1;
}

function skipSpace(source: string, index: number): number {
  let position = index;
  while (position < source.length && WHITESPACE.has(source[position] ?? '')) position++;
  return position;
}

function stringEnd(source: string, start: number): number {
  for (let index = start + 1; index < source.length; index++) {
    if (source[index] === '\\') index++;
    else if (source[index] === '"') return index + 1;
  }
  return source.length;
}

/** Index just past the value starting at `start`. */
function valueEnd(source: string, start: number): number {
  const first = source[start];
  if (first === '"') return stringEnd(source, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let index = start; index < source.length; index++) {
      const char = source[index];
      if (char === '"') index = stringEnd(source, index) - 1;
      else if (char === '{' || char === '[') depth++;
      else if ((char === '}' || char === ']') && --depth === 0) return index + 1;
    }
    return source.length;
  }
  let index = start;
  while (index < source.length && !/[\s,\]}]/.test(source[index] ?? '')) index++;
  return index;
}

function elementSpans(source: string, open: number): Span[] {
  const spans: Span[] = [];
  let index = skipSpace(source, open + 1);
  while (index < source.length && source[index] !== ']') {
    const end = valueEnd(source, index);
    spans.push({ start: index, end });
    index = skipSpace(source, end);
    if (source[index] === ',') index = skipSpace(source, index + 1);
  }
  return spans;
}

/** Where the value of `key` starts in the object at `open`; the last duplicate wins, as in JSON.parse. */
function propertyValueStart(source: string, open: number, key: string): number | undefined {
  let found: number | undefined;
  let index = skipSpace(source, open + 1);
  while (index < source.length && source[index] === '"') {
    const keyEnd = stringEnd(source, index);
    const name: unknown = JSON.parse(source.slice(index, keyEnd));
    const valueStart = skipSpace(source, skipSpace(source, keyEnd) + 1);
    if (name === key) found = valueStart;
    index = skipSpace(source, valueEnd(source, valueStart));
    if (source[index] === ',') index = skipSpace(source, index + 1);
  }
  return found;
}
