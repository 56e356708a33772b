import { describe, expect, it } from 'vitest';
import { queryTerms } from './query-terms.js';
import { searchTerms } from './search-terms.js';

describe('searchTerms', () => {
  it('counts the words of the question twice when the query also tells a story', () => {
    expect(searchTerms('The logs say EADDRINUSE. How do I change the port?')).toEqual([
      'logs',
      'say',
      'eaddrinuse',
      'change',
      'change',
      'port',
      'port',
    ]);
  });

  it('weighs nothing when the query is one sentence, or asks in every sentence', () => {
    const plain = 'Vitamin D deficiency raises the risk of fractures.';
    expect(searchTerms(plain)).toEqual(queryTerms(plain));
    expect(searchTerms('How do I roll back? Is it logged?')).toEqual(['roll', 'back', 'logged']);
  });

  it('leaves out what a question wants to do without, unless it is asked for elsewhere', () => {
    expect(
      searchTerms('How do I test my routes without starting the server on a real port?'),
    ).toEqual(['test', 'routes', 'without']);
    // The price of the rule: here the avoided word is what the answer is about.
    expect(searchTerms('Can the server restart without downtime?')).toEqual([
      'server',
      'restart',
      'without',
    ]);
    expect(searchTerms('Patients without diabetes have lower risk')).toContain('diabetes');
    expect(searchTerms('Restart the server without the server?')).toContain('server');
  });

  it('adds the words of camel-case identifiers, but splits no scientific names', () => {
    expect(searchTerms('Where is setNotFoundHandler')).toEqual([
      'setnotfoundhandler',
      'set',
      'found',
      'handler',
    ]);
    expect(searchTerms('apoE4 carriers and miRNA levels')).toEqual([
      'apoe4',
      'carriers',
      'mirna',
      'levels',
    ]);
  });

  it('reads a query of glued capitalised words that is no identifier at once', () => {
    // Backtracking through every split of the humps took seconds here (a minute at 131 chars):
    // a user's message must not block the process. The bound is thousands of times the need.
    const query = `aa${'Abbbbbbbbbbbbbbb'.repeat(7)}_ ok?`;
    const started = performance.now();
    expect(searchTerms(query)).toContain('ok');
    expect(performance.now() - started).toBeLessThan(250);
  });
});
