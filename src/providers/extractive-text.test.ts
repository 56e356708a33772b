import { describe, expect, it } from 'vitest';
import { contentTerms, stem } from './content-words.js';
import { passageSentences } from './extractive-text.js';

describe('stem', () => {
  it.each([
    ['policies', 'policy'],
    ['rolled', 'roll'],
    ['rolling', 'roll'],
    ['configuration', 'configur'],
    ['configured', 'configur'],
    ['configure', 'configur'],
    ['embeddings', 'embed'],
    ['embed', 'embed'],
    ['stopped', 'stop'],
    ['indexes', 'index'],
    ['status', 'status'],
    ['used', 'use'],
  ])('%s → %s', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});

describe('contentTerms', () => {
  it('drops stopwords and question words, splitting identifiers into words', () => {
    expect(contentTerms('How do I set KEEL_LLM to the Ollama provider?')).toEqual([
      'set',
      'keel',
      'llm',
      'ollama',
      'provider',
    ]);
  });
});

describe('passageSentences', () => {
  it('splits prose into sentences without breaking at abbreviations', () => {
    expect(
      passageSentences(
        'Keel caches answers (e.g. for repeated questions) by content. The cache key covers the model, prompt and passages.',
      ),
    ).toEqual([
      'Keel caches answers (e.g. for repeated questions) by content.',
      'The cache key covers the model, prompt and passages.',
    ]);
  });

  it('keeps list items as sentences and strips Markdown links and emphasis', () => {
    const markdown = [
      'Useful commands:',
      '',
      '- `keel kb sync` re-reads every **changed** file of a source.',
      '- `keel kb status` shows each [source](sources.md) and its version.',
    ].join('\n');
    expect(passageSentences(markdown)).toEqual([
      '`keel kb sync` re-reads every changed file of a source.',
      '`keel kb status` shows each source and its version.',
    ]);
  });

  it('skips headings, setext headings, tables, long code, questions and short fragments', () => {
    const markdown = [
      '# Deployment shapes',
      'Server mode',
      '-----------',
      '| shape | storage |',
      '|---|---|',
      '| server | PostgreSQL |',
      'Why would you run three processes?',
      '',
      'See below.',
      '',
      '```sh',
      'docker compose up -d',
      'keel migrate',
      'keel api',
      'keel worker',
      '```',
      '',
      'The server shape runs the API, orchestrator and worker as separate processes.',
    ].join('\n');
    expect(passageSentences(markdown)).toEqual([
      'The server shape runs the API, orchestrator and worker as separate processes.',
    ]);
  });

  it('removes numeric markers so quoted text never carries a stray citation', () => {
    expect(passageSentences('Hybrid search fuses lexical and vector ranks [12].')).toEqual([
      'Hybrid search fuses lexical and vector ranks.',
    ]);
  });
});
