import { describe, expect, it } from 'vitest';
import { type ChatMessage, withQuestions } from './use-chat';

const message = (role: ChatMessage['role'], content: string): ChatMessage => ({
  id: content,
  role,
  content,
  citations: [],
  decision: null,
  flags: [],
});

describe('withQuestions', () => {
  it('gives each stored answer the question before it, so Retry works on history', () => {
    const result = withQuestions([
      message('assistant', 'orphan'),
      message('user', 'first?'),
      message('assistant', 'one'),
      message('user', 'second?'),
      message('assistant', 'two'),
    ]);
    expect(result.map((item) => item.question)).toEqual([
      undefined,
      undefined,
      'first?',
      undefined,
      'second?',
    ]);
  });
});
