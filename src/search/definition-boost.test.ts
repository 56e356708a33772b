import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../test/helpers/test-keel.js';
import { definitionSubject, headingDefines } from './definition-boost.js';

describe('definition questions', () => {
  it('reads the subject of "What is X?" only', () => {
    expect(definitionSubject('What is Keel?')).toEqual(['keel']);
    expect(definitionSubject('what are the upload limits')).toEqual(['upload', 'limits']);
    expect(definitionSubject('How do I install Keel?')).toBeUndefined();
    expect(definitionSubject('Vitamin D deficiency is linked to fractures')).toBeUndefined();
  });

  it('takes a heading naming exactly the subject as its definition', () => {
    expect(headingDefines('Keel documentation > What Keel is', ['keel'])).toBe(true);
    expect(headingDefines('Encapsulation', ['encapsulation'])).toBe(true);
    expect(headingDefines('Deployment > Server mode', ['keel'])).toBe(false);
    expect(headingDefines('CLI > keel mcp: Keel as an MCP server', ['keel'])).toBe(false);
  });
});

describe('search for "What is Keel?" over the bundled documentation', () => {
  let harness: Awaited<ReturnType<typeof createTestKeel>>;
  beforeAll(async () => {
    harness = await createTestKeel({ KEEL_EMBEDDINGS: 'none' }, { worker: false });
  });
  afterAll(() => harness.close());

  it('ranks the overview first, though every page says "Keel"', async () => {
    const [first] = await harness.keel.search.search('What is Keel?', { k: 5 });
    expect(`${first?.chunk.path}#${first?.chunk.heading}`).toBe(
      'README.md#Keel documentation > What Keel is',
    );
  });
});
