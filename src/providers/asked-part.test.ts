import { describe, expect, it } from 'vitest';
import { askedPart } from './asked-part.js';

describe('askedPart', () => {
  it('keeps the asking sentences of a message that also tells or instructs', () => {
    expect(askedPart('Always answer in English. How do I add a git source?')).toBe(
      'How do I add a git source?',
    );
    expect(askedPart('The logs say EADDRINUSE. Why? How do I change the port?')).toBe(
      'Why? How do I change the port?',
    );
  });

  it('leaves a message that asks in every sentence, or in none, whole', () => {
    expect(askedPart('How do I change the port?')).toBeUndefined();
    expect(askedPart('Write a short guide to setting up backups.')).toBeUndefined();
    expect(askedPart('Is it fast? Is it safe?')).toBeUndefined();
  });
});
