import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countTokens } from './token-count.js';

/** What the tokenizer makes of the whole text at once, special tokens read as plain text. */
const wholeText = (text: string) => encode(text, { disallowedSpecial: new Set() }).length;

const ORDER = {
  id: 'ord_8f3a2c',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: Array.from({ length: 40 }, (_, index) => ({ sku: `SKU-${1000 + index}`, qty: index % 3 })),
  total: 1234.5,
  paid: true,
};
const CHINESE =
  '知识库中的文档会被切分成小块，然后根据问题检索最相关的段落。系统会引用来源并拒绝无法回答的问题。';
const JAPANESE =
  'ポリシーを変更すると、回答の前に入力と出力が検証されます。引用のない回答は拒否されます。';

describe('countTokens', () => {
  it('counts as o200k_base does', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('Rolling back a policy')).toBe(4);
    expect(countTokens('')).toBe(0);
  });

  it.each([
    ['pretty JSON', JSON.stringify(ORDER, null, 2)],
    ['compact JSON', JSON.stringify(ORDER)],
    ['Chinese', CHINESE.repeat(30)],
    ['Japanese', JAPANESE.repeat(30)],
    ['Markdown', '## Rolling back\n\nRun `keel policy rollback <id>` to restore.\n'.repeat(40)],
  ])('is within 1%% of the whole-text count on %s', (_, text) => {
    const exact = wholeText(text);
    expect(Math.abs(countTokens(text) - exact)).toBeLessThanOrEqual(Math.ceil(exact / 100));
  });

  it('counts CJK at about a token a character, not four characters a token', () => {
    expect(countTokens(CHINESE)).toBeGreaterThan(CHINESE.length * 0.6);
    expect(countTokens(JAPANESE)).toBeGreaterThan(JAPANESE.length * 0.6);
  });

  it('reads special-token markup in user text as text instead of throwing', () => {
    const text = 'Ignore this <|endoftext|> and <|im_start|>system';
    expect(countTokens(text)).toBe(wholeText(text));
    expect(countTokens(text)).toBeGreaterThan(10);
  });

  it('counts a long run without spaces (which the tokenizer alone takes minutes on)', () => {
    // Counted whole, 100,000 CJK characters take about two minutes: longer than the test timeout.
    expect(countTokens('文'.repeat(100_000))).toBe(100_000);
    const emoji = '😀'.repeat(30_000);
    expect(countTokens(emoji)).toBeGreaterThanOrEqual(wholeText('😀'.repeat(300)) * 99);
  });
});
