import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeel } from '../../test/helpers/test-keel.js';
import { questionFromHeading } from './example-questions.js';

describe('example questions', () => {
  it('turns section headings into questions, and skips headings that make none', () => {
    expect(questionFromHeading('What Keel is')).toBe('What is Keel?');
    expect(questionFromHeading('How to restore a backup')).toBe('How do I restore a backup?');
    expect(questionFromHeading('Scheduling backups')).toBe('How does scheduling backups work?');
    expect(questionFromHeading('Status light')).toBe('What should I know about status light?');
    expect(questionFromHeading('Overview of the HTTP API')).toBe(
      'What should I know about the HTTP API?',
    );
    expect(questionFromHeading('Overview')).toBeUndefined();
    expect(questionFromHeading('`keel kb sync`')).toBeUndefined();
  });

  describe('GET /v1/kb/examples over the bundled documentation', () => {
    let harness: Awaited<ReturnType<typeof createTestKeel>>;
    beforeAll(async () => {
      harness = await createTestKeel({ KEEL_EMBEDDINGS: 'none' }, { worker: false });
    });
    afterAll(() => harness.close());

    it('offers questions from different documents that the offline composer answers', async () => {
      const response = await harness.app.inject({ url: '/v1/kb/examples?limit=4' });
      expect(response.statusCode, response.body).toBe(200);
      const { questions } = response.json<{
        questions: { question: string; path: string }[];
      }>();
      expect(questions).toHaveLength(4);
      expect(new Set(questions.map((item) => item.path)).size).toBe(4);
      expect(questions.map((item) => item.question)).toContain('What is Keel?');
      for (const { question } of questions) {
        const answer = await harness.app.inject({
          method: 'POST',
          url: '/v1/chat',
          payload: { message: question },
        });
        expect(answer.json().citations.length, question).toBeGreaterThan(0);
      }
    });
  });
});
