import { describe, expect, it } from 'vitest';
import type { Chunk } from '../store/store.js';
import { rerankLexical } from './lexical-rerank.js';

const chunk = (id: number, heading: string, text: string): Chunk => ({
  id,
  sourceId: 'docs',
  sourceName: 'docs',
  path: 'api.md',
  heading,
  lineStart: 1,
  lineEnd: 2,
  version: 'v1',
  text,
  tokenCount: 10,
});

describe('lexical rerank', () => {
  it('raises a passage holding the question words side by side over one that scatters them', () => {
    const chunks = new Map([
      [
        1,
        chunk(1, 'API > transport', 'Each line of the file is a log; the level is set per target.'),
      ],
      [2, chunk(2, 'API > children', 'Key-value pairs are output on every log line.')],
    ]);
    const hits = [
      { chunkId: 1, score: 10 },
      { chunkId: 2, score: 9.5 },
    ];
    const ranked = rerankLexical('add the client IP to every log line', hits, chunks);
    expect(ranked.map((hit) => hit.chunkId)).toEqual([2, 1]);
    expect(ranked[0]?.score).toBeCloseTo(9.5 * 1.1);
  });

  it('raises a section titled by the question words, identifiers read word by word', () => {
    const chunks = new Map([
      [1, chunk(1, 'Factory > logger', 'The body limit of a request is logged here.')],
      [2, chunk(2, 'Factory > `bodyLimit`', 'Defines the maximum payload.')],
    ]);
    const hits = [
      { chunkId: 1, score: 10 },
      { chunkId: 2, score: 8 },
    ];
    const ranked = rerankLexical('Where is the limit of the body set?', hits, chunks);
    expect(ranked.map((hit) => hit.chunkId)).toEqual([2, 1]);
    expect(ranked[0]?.score).toBeCloseTo(8 * 1.3);
  });

  it('leaves hits it cannot read, and unrelated passages, in their BM25 order', () => {
    const chunks = new Map([[2, chunk(2, 'Other', 'Nothing in common here.')]]);
    const hits = [
      { chunkId: 1, score: 3 },
      { chunkId: 2, score: 2 },
    ];
    expect(rerankLexical('rotate log files daily', hits, chunks)).toEqual(hits);
  });

  it('reads a chunk again when its id comes back with another text (a re-synced source)', () => {
    const hits = [{ chunkId: 7, score: 10 }];
    const before = new Map([[7, chunk(7, 'Tracing', 'Every log line carries the request id.')]]);
    expect(rerankLexical('every log line', hits, before)[0]?.score).toBeCloseTo(11);
    const after = new Map([[7, chunk(7, 'Tracing', 'Lines of the log carry the request id.')]]);
    expect(rerankLexical('every log line', hits, after)[0]?.score).toBeCloseTo(10);
  });
});
