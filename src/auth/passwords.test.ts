import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { SEED_ARGON2 } from '../config/argon2-params.js';
import { createPasswordHasher, passwordProblem } from './passwords.js';

/** OWASP's baseline: the cheapest parameters the hasher accepts, to keep the suite fast. */
const OWASP_MINIMUM = { memoryKiB: 19456, iterations: 2, parallelism: 1 };
const passwords = createPasswordHasher(OWASP_MINIMUM);

describe('createPasswordHasher', () => {
  it('verifies the password it hashed and nothing else', async () => {
    const stored = await passwords.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await passwords.verify(stored, 'correct horse battery staple')).toBe(true);
    expect(await passwords.verify(stored, 'correct horse battery stapler')).toBe(false);
  });

  it('salts every hash, so equal passwords do not give equal hashes', async () => {
    const first = await passwords.hash('correct horse battery staple');
    const second = await passwords.hash('correct horse battery staple');
    expect(first).not.toBe(second);
  });

  it('accepts the same password typed with composed or decomposed accents', async () => {
    const stored = await passwords.hash('caf\u00e9 au lait noir');
    expect(await passwords.verify(stored, 'cafe\u0301 au lait noir')).toBe(true);
  });

  it('hashes with the seed parameters (64 MiB, 3 passes, 4 lanes)', async () => {
    const seeded = createPasswordHasher(SEED_ARGON2);
    const stored = await seeded.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
    expect(await seeded.verify(stored, 'correct horse battery staple')).toBe(true);
  });

  it('answers false for an unknown user, whatever password is given', async () => {
    expect(await passwords.verifyAgainstNothing('correct horse battery staple')).toBe(false);
    expect(await passwords.verifyAgainstNothing('')).toBe(false);
  });

  it('says a hash needs redoing once the parameters change', async () => {
    const stored = await passwords.hash('correct horse battery staple');
    expect(passwords.needsRehash(stored)).toBe(false);
    expect(createPasswordHasher({ ...OWASP_MINIMUM, iterations: 3 }).needsRehash(stored)).toBe(
      true,
    );
  });

  it.each([
    { memoryKiB: 19456, iterations: 1, parallelism: 1 },
    { memoryKiB: 19455, iterations: 2, parallelism: 1 },
    { memoryKiB: 7168, iterations: 4, parallelism: 1 },
    { memoryKiB: 4096, iterations: 10, parallelism: 1 },
  ])('refuses parameters below OWASP’s minimum: %o', (params) => {
    expect(() => createPasswordHasher(params)).toThrow(ValidationError);
    expect(() => createPasswordHasher(params)).toThrow(/below OWASP's minimum/);
  });

  it.each([
    { memoryKiB: 47104, iterations: 1, parallelism: 1 },
    { memoryKiB: 12288, iterations: 3, parallelism: 1 },
    { memoryKiB: 9216, iterations: 4, parallelism: 1 },
    { memoryKiB: 7168, iterations: 5, parallelism: 1 },
  ])('accepts each OWASP-equivalent combination: %o', (params) => {
    expect(() => createPasswordHasher(params)).not.toThrow();
  });

  it.each([
    { memoryKiB: 19456, iterations: 2, parallelism: 0 },
    { memoryKiB: 19456.5, iterations: 2, parallelism: 1 },
    { memoryKiB: 65536 * 1024, iterations: 3, parallelism: 4 },
  ])('refuses parameters that are not usable numbers: %o', (params) => {
    expect(() => createPasswordHasher(params)).toThrow(ValidationError);
  });
});

describe('passwordProblem', () => {
  it.each([
    ['short', 'must have at least 10 characters'],
    ['x'.repeat(257) + 'y', 'must have at most 256 characters'],
  ])('refuses %j', async (password, problem) => {
    expect(await passwordProblem(password)).toBe(problem);
  });

  it.each([
    'Password123!',
    'Password123',
    'QWERTYUIOP',
    'aaaaaaaaaaaa',
    'keel123456',
    'qwerty12345',
  ])('refuses the guessable %j, saying why', async (password) => {
    expect(await passwordProblem(password)).toMatch(/^is too easy to guess: \w.+\./);
  });

  it('names the common-password pattern behind Password123!', async () => {
    expect(await passwordProblem('Password123!')).toContain('similar to a commonly used password');
  });

  it('counts the user’s own e-mail address as guessable', async () => {
    expect(await passwordProblem('ada.lovelace.1815')).toBeUndefined();
    expect(await passwordProblem('ada.lovelace.1815', ['ada.lovelace.1815'])).toMatch(/too easy/);
  });

  it('counts characters, not bytes', async () => {
    expect(await passwordProblem('日本語のパスワード')).toBe('must have at least 10 characters');
    expect(await passwordProblem('日本語のパスワードです')).toBeUndefined();
  });

  it.each(['correct horse battery staple', 'mild-otter-paints-42-lanterns', 'café au lait noir'])(
    'accepts the passphrase %j',
    async (password) => {
      expect(await passwordProblem(password)).toBeUndefined();
    },
  );
});
