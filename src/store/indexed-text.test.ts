import { describe, expect, it } from 'vitest';
import { indexedText } from './indexed-text.js';

describe('indexedText', () => {
  it('keeps link text and drops link targets, addresses and HTML tags', () => {
    expect(
      indexedText(
        '<a id="https"></a>\nSee [Routes](./Routes.md#url-building "guide"), ![Figure](../f.svg) or <https://fastify.dev>.',
      ),
    ).toBe('  \nSee [Routes], ![Figure] or  .');
    expect(indexedText('[nodejs]: https://nodejs.org/api/https.html\nUse `https`.')).toBe(
      ' \nUse `https`.',
    );
    expect(indexedText('Docs at http://example.com/a/b?c=d, then more.')).toBe(
      'Docs at  , then more.',
    );
  });

  it('is null for text without any, and leaves comparisons and code alone', () => {
    expect(indexedText('Set `bodyLimit` to 1 MiB.')).toBeNull();
    expect(indexedText('p < 0.05 and a->b, Array<string> [x] (y)')).toBeNull();
  });
});
