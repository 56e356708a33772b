import { describe, expect, it } from 'vitest';
import { contentWords, splitSentences, supportRatio } from './grounding.js';

describe('splitSentences', () => {
  it('attaches citation markers to the sentence they follow', () => {
    const sentences = splitSentences(
      'Run `npx keel policy rollback` to go back. [1] It is recorded [2][3]. Files like policy.yaml stay read-only [1, 2].',
    );
    expect(sentences).toEqual([
      { text: 'Run `npx keel policy rollback` to go back.', citations: [1] },
      { text: 'It is recorded.', citations: [2, 3] },
      { text: 'Files like policy.yaml stay read-only.', citations: [1, 2] },
    ]);
  });

  it('treats lines as boundaries and keeps lone markers with the line before', () => {
    expect(splitSentences('- first item\n[4]\n- second item')).toEqual([
      { text: '- first item', citations: [4] },
      { text: '- second item', citations: [] },
    ]);
  });
});

describe('supportRatio', () => {
  it('is high when the passage holds the sentence’s words, low otherwise', () => {
    const passage = contentWords(
      'To roll back a policy, run the rollback command; it re-activates the previous version.',
    );
    expect(
      supportRatio('Rolling back re-activates the previous policy version.', passage),
    ).toBeGreaterThanOrEqual(0.5);
    expect(
      supportRatio('Bananas are rich in potassium and grow in tropical climates.', passage),
    ).toBeLessThan(0.2);
  });
});
