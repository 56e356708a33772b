import { randomBytes } from 'node:crypto';
import {
  type Algorithm,
  hash as argon2Hash,
  parseOptions,
  verify as argon2Verify,
} from '@node-rs/argon2';
import { type Argon2Params, assertStrongEnough } from '../config/argon2-params.js';
import { ValidationError } from '../errors.js';
import { guessability } from './password-strength.js';

/** `Algorithm.Argon2id`; the enum is `const` in an ambient module, which isolatedModules cannot read. */
const ARGON2ID = 2 as Algorithm;

export interface PasswordHasher {
  /** A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh random salt. */
  hash(password: string): Promise<string>;
  /** Whether `password` matches `hash`; the parameters are read from the hash itself. */
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Costs what `verify` costs and always answers false: call it when the account does not exist so
   * "unknown user" and "wrong password" take the same time.
   */
  verifyAgainstNothing(password: string): Promise<false>;
  /** True when `hash` was made with other parameters than these (rehash after a good sign-in). */
  needsRehash(hash: string): boolean;
}

/**
 * Argon2id password hashing with parameters checked against OWASP's floor.
 *
 * @example
 *   const passwords = createPasswordHasher(SEED_ARGON2);
 *   const stored = await passwords.hash('correct horse battery staple');
 *   await passwords.verify(stored, 'correct horse battery staple'); // true
 */
export function createPasswordHasher(params: Argon2Params): PasswordHasher {
  assertStrongEnough(params);
  const options = {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: params.parallelism,
  };
  let dummyHash: Promise<string> | undefined;

  const hash = (password: string) => argon2Hash(normalize(password), options);
  const verify = (stored: string, password: string) => argon2Verify(stored, normalize(password));

  return {
    hash,
    verify,
    async verifyAgainstNothing(password) {
      // Made once per process with the live parameters, so its cost tracks a real user's hash.
      dummyHash ??= hash(randomBytes(32).toString('base64url')).catch((error: unknown) => {
        dummyHash = undefined;
        throw error;
      });
      await verify(await dummyHash, password);
      return false;
    },
    needsRehash(stored) {
      const used = parseOptions(stored);
      return (
        used.algorithm !== ARGON2ID ||
        used.memoryCost !== params.memoryKiB ||
        used.timeCost !== params.iterations ||
        used.parallelism !== params.parallelism
      );
    },
  };
}

/**
 * NIST SP 800-63B asks verifiers to normalise Unicode passwords: the same password typed on two
 * keyboards can arrive as different code points (composed vs decomposed accents).
 */
function normalize(password: string): string {
  return password.normalize('NFKC');
}

const MIN_PASSWORD_LENGTH = 10;
/** Long enough for any passphrase; the cap stops megabyte "passwords" from costing hashing time. */
const MAX_PASSWORD_LENGTH = 256;

/**
 * What is wrong with a new password, phrased to follow "The password …", or undefined when it is
 * acceptable: between 10 and 256 characters (characters, not bytes, so non-Latin passphrases are
 * not penalised) and not easy to guess by zxcvbn's estimate, which knows common passwords and
 * their variations (`Password123!`), words, names, dates, keyboard walks and repeats.
 *
 * @example
 *   await passwordProblem('short'); // 'must have at least 10 characters'
 *   await passwordProblem('correct horse battery staple'); // undefined
 */
export async function passwordProblem(
  password: string,
  userInputs: string[] = [],
): Promise<string | undefined> {
  const normalized = normalize(password);
  const characters = [...normalized];
  if (characters.length < MIN_PASSWORD_LENGTH) {
    return `must have at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  if (characters.length > MAX_PASSWORD_LENGTH) {
    return `must have at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  return guessability(normalized, userInputs);
}

/**
 * Refuses a weak new password with a 400 `password_weak` that says why.
 *
 * @example
 *   await assertStrongPassword('Password123!'); // throws: The password is too easy to guess: …
 */
export async function assertStrongPassword(password: string, userInputs: string[] = []) {
  const weakness = await passwordProblem(password, userInputs);
  if (weakness)
    throw new ValidationError('password_weak', `The password ${weakness}`, { field: 'password' });
}
