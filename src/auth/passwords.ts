import { randomBytes } from 'node:crypto';
import {
  type Algorithm,
  hash as argon2Hash,
  parseOptions,
  verify as argon2Verify,
} from '@node-rs/argon2';
import { type Argon2Params, assertStrongEnough } from '../config/argon2-params.js';

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
 * Passwords people pick first that still pass the length rule. Shorter favourites are already
 * refused by the minimum length, so only ten-plus-character ones are worth listing.
 */
const COMMON_PASSWORDS = new Set(
  `1234567890 12345678910 123456789a a123456789 1234567890a 0123456789 0987654321
   9876543210 1111111111a 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc qazwsxedcrfv zaq12wsxcde3
   qwertyuiop qwerty12345 qwerty123456 qwertyuiop123 asdfghjkl1 asdfghjkl123 zxcvbnm123
   abcdefghij abcdefghijk abc1234567 abcd123456 password12 password123 password1234
   password!1 passw0rd123 p@ssw0rd123 p@ssword123 mypassword1 mypassword123 administrator
   admin123456 adminadmin letmein1234 letmeinplease welcome123 welcome1234 changeme123
   iloveyou123 sunshine123 football123 baseball123 princess123 dragon12345 monkey12345
   superman123 trustno1234 starwars123 computer123 internet123 keel123456`.split(/\s+/),
);

/**
 * What is wrong with a new password, phrased to follow "The password …", or undefined when it is
 * acceptable. Length counts characters, not bytes, so non-Latin passphrases are not penalised.
 *
 * @example
 *   passwordProblem('short'); // 'must have at least 10 characters'
 *   passwordProblem('correct horse battery staple'); // undefined
 */
export function passwordProblem(password: string): string | undefined {
  const characters = [...normalize(password)];
  if (characters.length < MIN_PASSWORD_LENGTH) {
    return `must have at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  if (characters.length > MAX_PASSWORD_LENGTH) {
    return `must have at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  if (new Set(characters).size === 1) return 'must not be one character repeated';
  if (COMMON_PASSWORDS.has(characters.join('').toLowerCase())) {
    return 'is one of the most common passwords; choose another';
  }
  return undefined;
}
