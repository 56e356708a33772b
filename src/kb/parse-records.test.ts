import { describe, expect, it } from 'vitest';
import { countTokens } from '../providers/token-count.js';
import { parseRecords, recordsToChunks } from './parse-records.js';

const PRETTY_ARRAY = `[
  {
    "id": "refunds",
    "title": "Refunds",
    "text": "Refunds are possible within 30 days."
  },
  { "id": "shipping", "text": "We ship worldwide." }
]
`;

describe('parseRecords', () => {
  it('reads a JSON array and finds each record’s own lines', () => {
    expect(parseRecords(PRETTY_ARRAY, 'json')).toEqual({
      records: [
        {
          id: 'refunds',
          title: 'Refunds',
          text: 'Refunds are possible within 30 days.',
          lineStart: 2,
          lineEnd: 6,
        },
        { id: 'shipping', title: 'shipping', text: 'We ship worldwide.', lineStart: 7, lineEnd: 7 },
      ],
      errors: [],
    });
  });

  it('reads the one array of an object, with its lines, even beside other fields', () => {
    const text = [
      '{',
      '  "version": 2,',
      '  "note": "braces } and [ brackets in strings do not confuse it",',
      '  "items": [',
      '    {"id": 1, "text": "First"},',
      '    {"id": 2,',
      '     "text": "Second"}',
      '  ]',
      '}',
    ].join('\r\n');
    const { records, errors } = parseRecords(text, 'json');
    expect(errors).toEqual([]);
    expect(records.map(({ id, lineStart, lineEnd }) => ({ id, lineStart, lineEnd }))).toEqual([
      { id: '1', lineStart: 5, lineEnd: 5 },
      { id: '2', lineStart: 6, lineEnd: 7 },
    ]);
  });

  it('reads a single object as one record spanning its lines', () => {
    const { records } = parseRecords('\n{"title": "About", "text": "Keel."}\n', 'json');
    expect(records).toEqual([
      { id: 'record-1', title: 'About', text: 'Keel.', lineStart: 2, lineEnd: 2 },
    ]);
  });

  it('parses the good lines of JSONL and names the bad one', () => {
    const text =
      '{"id":"a","text":"Alpha"}\n{"id":"b","text":\n\n{"id":"c","text":"Gamma"}\n[1,2]\n';
    const { records, errors } = parseRecords(text, 'jsonl');
    expect(records.map((record) => [record.id, record.lineStart, record.lineEnd])).toEqual([
      ['a', 1, 1],
      ['c', 4, 4],
    ]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ line: 2, message: expect.stringContaining('Invalid JSON') });
    expect(errors[1]).toMatchObject({ line: 5, message: expect.stringContaining('not an object') });
  });

  it('follows dotted field paths for id, title and text', () => {
    const line = JSON.stringify({
      meta: { slug: 'faq-1', heading: 'Billing' },
      fields: { body: 'Invoices go out monthly.' },
      'plain.key': 'taken literally',
    });
    const mapping = { id: 'meta.slug', title: 'meta.heading', text: 'fields.body' };
    expect(parseRecords(line, 'jsonl', mapping).records).toEqual([
      { id: 'faq-1', title: 'Billing', text: 'Invoices go out monthly.', lineStart: 1, lineEnd: 1 },
    ]);
    expect(parseRecords(line, 'jsonl', { text: 'plain.key' }).records[0]?.text).toBe(
      'taken literally',
    );
  });

  it('reports a record without its text field by id and line, and keeps the others', () => {
    const text =
      '[\n{"id": "ok", "text": "Fine"},\n{"id": "broken", "body": "wrong field"},\n{"text": ""}\n]';
    const { records, errors } = parseRecords(text, 'json');
    expect(records.map((record) => record.id)).toEqual(['ok']);
    expect(errors).toEqual([
      { line: 3, message: 'Record "broken" has no "text" field' },
      { line: 4, message: 'Record "record-3" has an empty "text" field' },
    ]);
  });

  it('reports malformed JSON with the line where it broke', () => {
    const { records, errors } = parseRecords('[\n  {"text": "a"},\n  {"text" "b"}\n]', 'json');
    expect(records).toEqual([]);
    expect(errors).toEqual([{ line: 3, message: expect.stringContaining('Invalid JSON') }]);
  });

  it('refuses to guess between several arrays and rejects a bare value', () => {
    const ambiguous = parseRecords('{"a": [{"text": "x"}], "b": [{"text": "y"}]}', 'json');
    expect(ambiguous.errors[0]?.message).toContain('"a", "b"');
    expect(parseRecords('42', 'json').errors[0]?.message).toContain('found a number');
  });
});

describe('recordsToChunks', () => {
  it('heads a short record with its title and cites the record’s lines', () => {
    const [record] = parseRecords(PRETTY_ARRAY, 'json').records;
    expect(record && recordsToChunks(record)).toEqual([
      {
        headingPath: ['Refunds'],
        lineStart: 2,
        lineEnd: 6,
        text: 'Refunds\n\nRefunds are possible within 30 days.',
      },
    ]);
  });

  it('splits a long record at paragraphs, every chunk titled and within budget', () => {
    const paragraphs = Array.from({ length: 8 }, (_, index) =>
      `Paragraph ${index}. `.repeat(20).trim(),
    );
    const record = {
      id: 'long',
      title: 'A long article',
      text: paragraphs.join('\n\n'),
      lineStart: 9,
      lineEnd: 9,
    };
    const chunks = recordsToChunks(record, { maxTokens: 150 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ headingPath: ['A long article'], lineStart: 9, lineEnd: 9 });
      expect(chunk.text.startsWith('A long article\n\n')).toBe(true);
      expect(countTokens(chunk.text)).toBeLessThanOrEqual(150);
    }
    expect(chunks.map((chunk) => chunk.text).join('\n')).toContain(paragraphs[7]);
  });
});
