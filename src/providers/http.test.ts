import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../errors.js';
import { joinUrl, parseJsonReply, serverSentData, usageFrom } from './http-reply.js';
import { countTokens } from './token-count.js';
import { retryDelayMs } from './http-timing.js';

async function* linesOf(text: string): AsyncGenerator<string> {
  for (const line of text.split('\n')) yield line;
}

async function collect(events: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

describe('retryDelayMs', () => {
  it('waits as long as Retry-After asks, in seconds or as a date', () => {
    expect(retryDelayMs(0, '2')).toBe(2_000);
    expect(retryDelayMs(3, '0')).toBe(0);
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    expect(retryDelayMs(0, inFiveSeconds)).toBeGreaterThan(3_000);
    expect(retryDelayMs(0, inFiveSeconds)).toBeLessThanOrEqual(5_000);
  });

  it('backs off exponentially with jitter, within half to all of each step, capped', () => {
    for (let round = 0; round < 50; round += 1) {
      const first = retryDelayMs(0, null, 100);
      const third = retryDelayMs(2, null, 100);
      const late = retryDelayMs(20, null, 100);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
      expect(late).toBeLessThanOrEqual(8_000);
    }
  });

  it('ignores a Retry-After it cannot read', () => {
    expect(retryDelayMs(0, 'soon', 100)).toBeLessThanOrEqual(100);
  });
});

describe('serverSentData', () => {
  it('yields each event, joining multi-line data and skipping comments and other fields', async () => {
    const stream = [
      ': keep-alive',
      'event: message',
      'data: {"a":1}',
      '',
      'data: first line',
      'data: second line',
      'id: 7',
      '',
      'data:[DONE]',
    ].join('\n');
    expect(await collect(serverSentData(linesOf(stream)))).toEqual([
      '{"a":1}',
      'first line\nsecond line',
      '[DONE]',
    ]);
  });
});

describe('parseJsonReply', () => {
  const schema = z.object({ answer: z.string() });

  it('returns the typed reply', () => {
    expect(parseJsonReply('openai', schema, '{"answer":"yes","extra":1}')).toEqual({
      answer: 'yes',
    });
  });

  it.each(['<html>oops</html>', '{"answer": 42}', ''])(
    'turns %j into provider_bad_response naming the provider',
    (text) => {
      let caught: unknown;
      try {
        parseJsonReply('gemini', schema, text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UpstreamError);
      expect(caught).toMatchObject({
        code: 'provider_bad_response',
        retryable: false,
        details: { provider: 'gemini' },
      });
    },
  );
});

describe('joinUrl', () => {
  it('joins with exactly one slash', () => {
    expect(joinUrl('http://127.0.0.1:11434/', '/api/chat')).toBe('http://127.0.0.1:11434/api/chat');
    expect(joinUrl('https://api.openai.com/v1', 'embeddings')).toBe(
      'https://api.openai.com/v1/embeddings',
    );
  });
});

describe('usageFrom', () => {
  const request = {
    messages: [
      { role: 'system' as const, content: 'Answer from the passages.' },
      { role: 'user' as const, content: 'How do I roll back a policy?' },
    ],
    temperature: 0,
    maxOutputTokens: 100,
  };

  it("takes the server's counts when it reports them", () => {
    expect(usageFrom(request, 'Run rollback.', { input: 120, output: 18 })).toEqual({
      inputTokens: 120,
      outputTokens: 18,
    });
  });

  it('estimates from the whole prompt and the answer when the server reports none', () => {
    expect(usageFrom(request, 'Run rollback.', { input: null })).toEqual({
      inputTokens: countTokens('Answer from the passages.\nHow do I roll back a policy?'),
      outputTokens: countTokens('Run rollback.'),
    });
  });
});
