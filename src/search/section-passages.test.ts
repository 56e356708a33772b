import { describe, expect, it } from 'vitest';
import type { Chunk } from '../store/store.js';
import { sectionPassages } from './section-passages.js';

const chunk = (
  id: number,
  heading: string,
  lines: [number, number],
  text: string,
  tokenCount = 100,
): Chunk => ({
  id,
  sourceId: 'docs',
  sourceName: 'docs',
  path: 'server.md',
  heading,
  lineStart: lines[0],
  lineEnd: lines[1],
  version: 'v1',
  text,
  tokenCount,
});

// One section split in three chunks (the later ones repeat the heading), then another section.
const document = [
  chunk(
    1,
    'Factory > `disableRequestLogging`',
    [10, 14],
    '### `disableRequestLogging`\nOff by default.',
  ),
  chunk(
    2,
    'Factory > `disableRequestLogging`',
    [16, 20],
    '### `disableRequestLogging`\n```js\ncode\n```',
  ),
  chunk(
    3,
    'Factory > `disableRequestLogging`',
    [22, 24],
    '### `disableRequestLogging`\nThe other entries.',
  ),
  chunk(4, 'Factory > `logController`', [26, 30], '### `logController`\nA class.'),
];
const byId = new Map(document.map((entry) => [entry.id, entry]));
const readChunks = async (ids: number[]) => document.filter((entry) => ids.includes(entry.id));

describe('section passages', () => {
  it('returns a split section once, at its best rank, with the parts after and before the hit', async () => {
    const passages = await sectionPassages([2, 4, 1, 3], byId, 5, readChunks);
    expect(passages.map((passage) => passage.id)).toEqual([2, 4]);
    const [section] = passages;
    expect(section?.chunk).toMatchObject({ id: 2, lineStart: 10, lineEnd: 24, tokenCount: 300 });
    expect(section?.chunk.text).toBe(
      '### `disableRequestLogging`\nOff by default.\n\n```js\ncode\n```\n\nThe other entries.',
    );
  });

  it('grows a passage forward first and never past the budget; what is left is its own passage', async () => {
    const passages = await sectionPassages([1, 3, 4], byId, 5, readChunks, 200);
    expect(passages.map(({ chunk: { lineStart, lineEnd } }) => [lineStart, lineEnd])).toEqual([
      [10, 20],
      [22, 24],
      [26, 30],
    ]);
  });

  it('never joins chunks of another section and keeps to k passages', async () => {
    const passages = await sectionPassages([4, 3], byId, 1, readChunks);
    expect(passages).toHaveLength(1);
    expect(passages[0]?.chunk.text).toBe('### `logController`\nA class.');
  });

  it("starts a first subsection's passage with its parent's text right above it", async () => {
    const api = [
      chunk(
        11,
        'API > `multistream()`',
        [1, 8],
        '### `multistream()`\nCreates one stream of many.',
      ),
      chunk(12, 'API > `multistream()` > Options', [10, 14], '#### Options\n* `dedupe`'),
      chunk(13, 'API > `multistream()` > Options', [16, 18], '#### Options\nMore options.'),
      chunk(14, 'API > `multistream()` > Events', [20, 22], '#### Events\n* `error`'),
    ];
    const apiById = new Map(api.map((entry) => [entry.id, entry]));
    const read = async (ids: number[]) => api.filter((entry) => ids.includes(entry.id));
    const [options, events] = await sectionPassages([12, 14], apiById, 2, read);
    expect(options?.chunk).toMatchObject({ id: 12, heading: 'API > `multistream()` > Options' });
    expect(options?.chunk.text).toBe(
      '### `multistream()`\nCreates one stream of many.\n\n#### Options\n* `dedupe`\n\nMore options.',
    );
    expect([options?.chunk.lineStart, options?.chunk.lineEnd]).toEqual([1, 18]);
    // Not the first subsection: the chunk above it is a sibling's, not the parent's.
    expect(events?.chunk.text).toBe('#### Events\n* `error`');
  });
});
