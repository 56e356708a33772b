import { ValidationError } from '../../errors.js';
import type { SeriesPoint } from './forecast.js';

/** More rows than a forecast job should chew on (the grid search runs ~440 passes over them). */
export const MAX_SERIES_POINTS = 200_000;

// ISO 8601 date or date-time; `Date.parse` alone also accepts "1/2/2024" and "2024", ambiguous.
const ISO_TIMESTAMP =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A CSV field, without surrounding quotes and spaces (`"2024-01-01"` and `2024-01-01` alike). */
function field(text: string): string {
  const trimmed = text.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).trim()
    : trimmed;
}

/** Epoch milliseconds; a date-time without a zone is read as UTC, as date-only ISO values are. */
function parseTimestamp(text: string): number | undefined {
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const hasTime = text.length > 10;
  const at = Date.parse(
    hasTime && !match[1] ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T'),
  );
  return Number.isNaN(at) ? undefined : at;
}

/**
 * Reads a `timestamp,value` CSV: a header row, then one ISO 8601 timestamp and one number per row,
 * timestamps strictly increasing. Blank lines are skipped. Anything else is a ValidationError
 * (`series_invalid`) whose message names the series and the line, so the uploader can fix it.
 *
 * @example
 *   parseSeriesCsv('timestamp,value\n2024-01-01,12\n2024-01-02,15\n', 'daily-views');
 *   // [{ at: 1704067200000, value: 12 }, { at: 1704153600000, value: 15 }]
 */
export function parseSeriesCsv(text: string, seriesId: string): SeriesPoint[] {
  const invalid = (line: number, problem: string) =>
    new ValidationError('series_invalid', `Series ${seriesId}, line ${line}: ${problem}`, {
      seriesId,
      line,
    });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw invalid(1, 'the file is empty; expected the header "timestamp,value"');
  const header = lines[headerIndex]!.split(',').map((name) => field(name).toLowerCase());
  if (header.length !== 2 || header[0] !== 'timestamp' || header[1] !== 'value') {
    throw invalid(headerIndex + 1, 'expected the header "timestamp,value"');
  }
  const points: SeriesPoint[] = [];
  let previousLine = 0;
  for (let index = headerIndex + 1; index < lines.length; index++) {
    const line = index + 1;
    const raw = lines[index]!;
    if (raw.trim() === '') continue;
    const fields = raw.split(',');
    if (fields.length !== 2) {
      throw invalid(line, `expected 2 fields (timestamp,value), found ${fields.length}`);
    }
    const [timestampText, valueText] = fields.map(field) as [string, string];
    const at = parseTimestamp(timestampText);
    if (at === undefined) {
      throw invalid(line, `"${timestampText.slice(0, 40)}" is not an ISO 8601 timestamp`);
    }
    const value = NUMBER.test(valueText) ? Number(valueText) : Number.NaN;
    if (!Number.isFinite(value)) throw invalid(line, `"${valueText.slice(0, 40)}" is not a number`);
    const previous = points.at(-1);
    if (previous && at <= previous.at) {
      throw invalid(
        line,
        `timestamp ${timestampText} is not after line ${previousLine}'s; rows must be sorted by time, without repeats`,
      );
    }
    if (points.length === MAX_SERIES_POINTS) {
      throw invalid(line, `the series has more than ${MAX_SERIES_POINTS} points`);
    }
    points.push({ at, value });
    previousLine = line;
  }
  return points;
}
