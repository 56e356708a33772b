import { describe, expect, it } from 'vitest';
import { parseSeriesCsv } from './series-csv.js';

const parse = (text: string) => parseSeriesCsv(text, 'views');

describe('time series CSV', () => {
  it('reads dates, date-times with and without a zone, quotes, CRLF and blank lines', () => {
    const text =
      '\uFEFFTimestamp, Value\r\n' +
      '2024-01-01,12\r\n' +
      '\r\n' +
      '"2024-01-02T06:00:00Z","15.5"\r\n' +
      '2024-01-02 12:00,-3e1\r\n' +
      '2024-01-03T00:00:00+02:00,.25\r\n';
    expect(parse(text)).toEqual([
      { at: Date.UTC(2024, 0, 1), value: 12 },
      { at: Date.UTC(2024, 0, 2, 6), value: 15.5 },
      // No zone: read as UTC, like the date-only rows, never as the worker's local time.
      { at: Date.UTC(2024, 0, 2, 12), value: -30 },
      { at: Date.UTC(2024, 0, 2, 22), value: 0.25 },
    ]);
  });

  it.each([
    ['', /line 1: the file is empty/],
    ['date,amount\n2024-01-01,1\n', /line 1: expected the header "timestamp,value"/],
    ['timestamp,value\n2024-01-01,1\n2024-01-02\n', /line 3: expected 2 fields/],
    ['timestamp,value\n2024-01-01,1\n01/02/2024,2\n', /line 3: "01\/02\/2024" is not an ISO 8601/],
    ['timestamp,value\n2024-01-01,1\n2024-01-02,12abc\n', /line 3: "12abc" is not a number/],
    ['timestamp,value\n2024-01-01,1\n2024-01-02,NaN\n', /line 3: "NaN" is not a number/],
    [
      'timestamp,value\n2024-01-02,1\n\n2024-01-01,2\n',
      /line 4: timestamp 2024-01-01 is not after line 2's; rows must be sorted/,
    ],
    ['timestamp,value\n2024-01-01,1\n2024-01-01,2\n', /line 3: .* without repeats/],
  ])('refuses %j, naming the line', (text, message) => {
    expect(() => parse(text)).toThrow(message);
    expect(() => parse(text)).toThrow(expect.objectContaining({ code: 'series_invalid' }));
  });
});
