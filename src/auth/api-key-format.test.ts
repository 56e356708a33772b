import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_SCOPES,
  apiKeyScopesSchema,
  generateApiKey,
  hasScope,
  hashApiKey,
  looksLikeApiKey,
  parseApiKey,
} from './api-key-format.js';

describe('generateApiKey', () => {
  it('makes keel_<prefix>_<secret> keys whose prefix parses back out', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^keel_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`keel_${prefix}_`)).toBe(true);
    expect(parseApiKey(key)).toEqual({ prefix });
    expect(looksLikeApiKey(key)).toBe(true);
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toBe(hash);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    expect(keys.size).toBe(200);
  });
});

describe('parseApiKey', () => {
  const secret = 'A'.repeat(42) + '_';

  it.each([
    ['a JWT', 'eyJhbGciOiJFZERTQSJ9.e30.c2ln'],
    ['another product’s key', `sk_live_${secret}`],
    ['a short prefix', `keel_abc_${secret}`],
    ['an upper-case prefix', `keel_ABCDEFGH_${secret}`],
    ['a short secret', 'keel_abcdefgh_tooShort'],
    ['trailing text', `keel_abcdefgh_${secret}x`],
    ['surrounding space', ` keel_abcdefgh_${secret}`],
    ['a character outside base64url', `keel_abcdefgh_${'A'.repeat(42)}=`],
  ])('refuses %s', (_label, text) => {
    expect(parseApiKey(text)).toBeUndefined();
  });

  it('reads the prefix even when the secret contains the separator', () => {
    expect(parseApiKey(`keel_abcdefgh_${secret}`)).toEqual({ prefix: 'abcdefgh' });
  });
});

describe('looksLikeApiKey', () => {
  it('tells a meant-as-API-key credential from a JWT, even when the key is mangled', () => {
    expect(looksLikeApiKey('keel_abcdefgh_truncated')).toBe(true);
    expect(looksLikeApiKey('eyJhbGciOiJFZERTQSJ9.e30.c2ln')).toBe(false);
  });
});

describe('scopes', () => {
  it('accepts known scopes, drops duplicates and refuses unknown or empty lists', () => {
    expect(apiKeyScopesSchema.parse(['chat', 'kb:read', 'chat'])).toEqual(['chat', 'kb:read']);
    expect(apiKeyScopesSchema.safeParse(['chat', 'kb:delete']).success).toBe(false);
    expect(apiKeyScopesSchema.safeParse([]).success).toBe(false);
  });

  it('grants only the listed scopes, except that admin grants all', () => {
    expect(hasScope(['chat'], 'chat')).toBe(true);
    expect(hasScope(['chat'], 'kb:read')).toBe(false);
    expect(hasScope(['kb:write'], 'kb:read')).toBe(false);
    expect(hasScope([], 'chat')).toBe(false);
    for (const scope of API_KEY_SCOPES) expect(hasScope(['admin'], scope)).toBe(true);
  });
});
