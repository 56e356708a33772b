import { describe, expect, it } from 'vitest';
import { countTokens } from '../providers/token-count.js';
import { type ChunkDraft, chunkMarkdown } from './chunk-markdown.js';

const HANDBOOK = [
  '---', //                                1
  'title: Operations handbook', //         2
  '---', //                                3
  'Read this before your first deploy.', // 4
  '', //                                   5
  '# Policies', //                         6
  '', //                                   7
  'Policies are YAML files.', //           8
  '', //                                   9
  '## Rolling back', //                    10
  'Run this:', //                          11
  '', //                                   12
  '```sh', //                              13
  '# not a heading', //                    14
  'keel policy rollback', //               15
  '```', //                                16
  '', //                                   17
  'Activations', //                        18
  '-----------', //                        19
  'Every activation is recorded.', //      20
  '', //                                   21
  '## Empty section', //                   22
  '', //                                   23
  '#### Deep ####', //                     24
  'Nested text.', //                       25
].join('\n');

/** Source lines a..b, to check that text and line range agree. */
function sourceLines(text: string, chunk: ChunkDraft): string {
  return text
    .split('\n')
    .slice(chunk.lineStart - 1, chunk.lineEnd)
    .join('\n');
}

function paragraph(words: number, seed: string): string {
  return Array.from({ length: words }, (_, index) => `${seed}${index}`).join(' ');
}

describe('chunkMarkdown', () => {
  it('gives each section its heading path and exact line range', () => {
    const chunks = chunkMarkdown(HANDBOOK);
    expect(
      chunks.map(({ headingPath, lineStart, lineEnd }) => ({ headingPath, lineStart, lineEnd })),
    ).toEqual([
      { headingPath: ['Operations handbook'], lineStart: 4, lineEnd: 4 },
      { headingPath: ['Policies'], lineStart: 6, lineEnd: 8 },
      { headingPath: ['Policies', 'Rolling back'], lineStart: 10, lineEnd: 16 },
      { headingPath: ['Policies', 'Activations'], lineStart: 18, lineEnd: 20 },
      { headingPath: ['Policies', 'Empty section', 'Deep'], lineStart: 24, lineEnd: 25 },
    ]);
    for (const chunk of chunks) expect(chunk.text).toBe(sourceLines(HANDBOOK, chunk));
  });

  it('includes the heading line in the chunk and keeps code fence lines out of the outline', () => {
    const rollback = chunkMarkdown(HANDBOOK).find(
      (chunk) => chunk.headingPath.at(-1) === 'Rolling back',
    );
    expect(rollback?.text.startsWith('## Rolling back\nRun this:')).toBe(true);
    expect(rollback?.text).toContain('# not a heading\nkeel policy rollback');
  });

  it('titles text before the first heading with the first H1, else the given document title', () => {
    expect(chunkMarkdown('Intro.\n\n# Guide\nBody.')[0]?.headingPath).toEqual(['Guide']);
    const untitled = chunkMarkdown('Intro.\n\n## Setup\nBody.', { documentTitle: 'install' });
    expect(untitled.map((chunk) => chunk.headingPath)).toEqual([['install'], ['Setup']]);
    expect(chunkMarkdown('Just text.')[0]?.headingPath).toEqual([]);
  });

  it('skips front matter but counts its lines, and treats a non-mapping block as text', () => {
    const chunks = chunkMarkdown('---\ntitle: Hello\ntags: [a]\n---\n\nBody line.');
    expect(chunks).toEqual([
      { headingPath: ['Hello'], lineStart: 6, lineEnd: 6, text: 'Body line.' },
    ]);
    const ruled = chunkMarkdown('---\n- a list\n- not a mapping\n---\nText.', {
      documentTitle: 'notes',
    });
    expect(ruled).toEqual([
      {
        headingPath: ['notes'],
        lineStart: 1,
        lineEnd: 5,
        text: '---\n- a list\n- not a mapping\n---\nText.',
      },
    ]);
  });

  it('reads CRLF, lone CR and a byte-order mark exactly like LF', () => {
    const lf = chunkMarkdown(HANDBOOK);
    expect(chunkMarkdown(HANDBOOK.replaceAll('\n', '\r\n'))).toEqual(lf);
    expect(chunkMarkdown(`\uFEFF${HANDBOOK.replaceAll('\n', '\r')}`)).toEqual(lf);
  });

  it('splits a long section at paragraph boundaries, repeating the heading on each part', () => {
    const paragraphs = Array.from({ length: 6 }, (_, index) => paragraph(20, `p${index}w`));
    const text = `# Guide\n\n## Long\n\n${paragraphs.join('\n\n')}\n`;
    const chunks = chunkMarkdown(text, { maxTokens: 150 });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]?.lineStart).toBe(3);
    chunks.forEach((chunk, index) => {
      expect(chunk.headingPath).toEqual(['Guide', 'Long']);
      expect(countTokens(chunk.text)).toBeLessThanOrEqual(150);
      if (index === 0) return;
      expect(chunk.text).toBe(`## Long\n${sourceLines(text, chunk)}`);
      // Each part ends and starts on a whole paragraph.
      expect(text.split('\n')[chunk.lineStart - 2]).toBe('');
    });
    const covered = chunks.map((chunk) => chunk.text).join('\n');
    for (const body of paragraphs) expect(covered).toContain(body);
  });

  it('keeps CJK and JSON chunks within the token budget, not a character budget', () => {
    const sentence = '知识库中的文档会被切分成小块，然后根据问题检索最相关的段落。';
    const chinese = Array.from({ length: 12 }, () => sentence.repeat(3)).join('\n\n');
    const record = JSON.stringify({ id: 'ord_1', lines: [{ sku: 'A-1', qty: 2 }] });
    const json = ['```json', ...Array.from({ length: 80 }, () => record), '```'].join('\n');
    for (const text of [`# 文档\n\n${chinese}`, `# Orders\n\n${json}`]) {
      const chunks = chunkMarkdown(text, { maxTokens: 100 });
      for (const chunk of chunks) expect(countTokens(chunk.text)).toBeLessThanOrEqual(100);
      // Filled to the budget, too: not cut at a quarter of it.
      expect(countTokens(chunks[0]?.text ?? '')).toBeGreaterThan(60);
    }
  });

  it('merges small paragraphs of one section but never sections', () => {
    const chunks = chunkMarkdown('# A\none\n\ntwo\n\nthree\n## B\nfour');
    expect(chunks.map((chunk) => chunk.text)).toEqual(['# A\none\n\ntwo\n\nthree', '## B\nfour']);
  });

  it('keeps a code block whole when it fits, even with blank lines inside', () => {
    const code = [
      '```ts',
      ...Array.from({ length: 12 }, (_, index) => (index % 4 ? `call(${index});` : '')),
      '```',
    ];
    const text = [
      '## Example',
      paragraph(50, 'intro'),
      '',
      ...code,
      '',
      paragraph(50, 'outro'),
    ].join('\n');
    const chunks = chunkMarkdown(text, { maxTokens: 100 });
    const holder = chunks.filter((chunk) => chunk.text.includes('```ts'));
    expect(holder).toHaveLength(1);
    expect(holder[0]?.text).toContain(code.join('\n'));
  });

  it('splits a code block by lines only when it alone is over budget', () => {
    const code = [
      '```',
      ...Array.from({ length: 60 }, (_, index) => `line ${index} of the listing`),
      '```',
    ];
    const chunks = chunkMarkdown(`# Listing\n${code.join('\n')}`, { maxTokens: 100 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(countTokens(chunk.text)).toBeLessThanOrEqual(100);
    expect(chunks.at(-1)?.lineEnd).toBe(code.length + 1);
  });

  it('repeats the requested number of source lines when overlapping', () => {
    const lines = Array.from({ length: 40 }, (_, index) => `Sentence number ${index} of the text.`);
    const text = lines.join('\n');
    const plain = chunkMarkdown(text, { maxTokens: 100 });
    const overlapped = chunkMarkdown(text, { maxTokens: 100, overlapLines: 2 });
    expect(overlapped.length).toBe(plain.length);
    expect(plain.length).toBeGreaterThan(2);
    overlapped.forEach((chunk, index) => {
      const previous = plain[index - 1];
      expect(chunk.lineStart).toBe(previous ? previous.lineEnd - 1 : 1);
      expect(chunk.text).toBe(sourceLines(text, chunk));
    });
  });

  it('yields nothing for empty or whitespace-only input and empty sections', () => {
    expect(chunkMarkdown('')).toEqual([]);
    expect(chunkMarkdown(' \n\t\n')).toEqual([]);
    expect(chunkMarkdown('# One\n\n## Two\n')).toEqual([]);
  });

  it('survives broken Markdown: unclosed fences, bare hashes, tabs, huge lines', () => {
    const unclosed = chunkMarkdown('# Start\n```\ncode\n# inside the fence\nmore');
    expect(unclosed).toHaveLength(1);
    expect(unclosed[0]?.lineEnd).toBe(5);

    const bare = chunkMarkdown('#\n##\n# #\n\ttabbed\n#hashtag');
    expect(bare.every((chunk) => chunk.headingPath.length === 0)).toBe(true);
    expect(bare.map((chunk) => chunk.text).join('\n')).toContain('\ttabbed');

    const huge = chunkMarkdown(`# Huge\n${'word '.repeat(50_000)}`, { maxTokens: 100 });
    expect(huge.length).toBeGreaterThan(100);
    for (const chunk of huge) {
      expect(countTokens(chunk.text)).toBeLessThanOrEqual(100);
      expect(chunk.lineStart).toBeLessThanOrEqual(2);
    }
  });

  it('handles multi-megabyte lines of markup characters', () => {
    for (const line of [
      `${'-'.repeat(3_000_000)} x`,
      '-'.repeat(3_000_000),
      '* '.repeat(1_000_000),
      `# ${' '.repeat(1_000_000)}x`,
    ]) {
      const chunks = chunkMarkdown(`Title\n\n${line}\n`);
      expect(chunks.every((chunk) => countTokens(chunk.text) <= 350)).toBe(true);
    }
  });

  it('never throws on binary garbage and keeps line ranges inside the file', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = '#`~-=\n\r\t >*|\u0000\uFFFD\uD83Dab ';
    for (let round = 0; round < 200; round++) {
      const length = Math.floor(random() * 2000);
      const garbage = Array.from(
        { length },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      const lineCount = garbage.split(/\r\n?|\n/).length;
      const chunks = chunkMarkdown(garbage, { maxTokens: 20 });
      for (const chunk of chunks) {
        expect(chunk.lineStart).toBeGreaterThanOrEqual(1);
        expect(chunk.lineEnd).toBeGreaterThanOrEqual(chunk.lineStart);
        expect(chunk.lineEnd).toBeLessThanOrEqual(lineCount);
        expect(chunk.text.trim()).not.toBe('');
      }
    }
  });
});
