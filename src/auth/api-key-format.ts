import { createHash, randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';

/** What a key may be used for. `admin` implies every other scope. */
export const API_KEY_SCOPES = ['chat', 'kb:read', 'kb:write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES);
/** A non-empty scope list from a request or the CLI; duplicates are dropped. */
export const apiKeyScopesSchema = z
  .array(apiKeyScopeSchema)
  .min(1, 'Give an API key at least one scope')
  .transform((scopes) => [...new Set(scopes)]);

/** Whether `scopes` allow `needed`; `admin` allows everything. */
export function hasScope(scopes: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

const KEY_MARKER = 'keel_';
/**
 * Lowercase letters and digits only, so the prefix never contains the `_` separator and reads
 * the same in a list of keys, a log line or a support ticket.
 */
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PREFIX_LENGTH = 8;
const SECRET_BYTES = 32;
/** The prefix has a fixed length, so `_` and `-` inside the base64url secret stay unambiguous. */
const API_KEY_PATTERN = /^keel_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedApiKey {
  /** The whole key, shown to its owner once and never stored. */
  key: string;
  /** The visible, non-secret part used to find the key's record and to name it in lists. */
  prefix: string;
  /** Hex SHA-256 of the whole key: what the store keeps. */
  hash: string;
}

/**
 * A new API key: `keel_<8-character prefix>_<32 random bytes, base64url>`.
 *
 * @example
 *   const { key, prefix, hash } = generateApiKey();
 *   // key: 'keel_k3v9x2ab_Qm9…', prefix: 'k3v9x2ab'; store prefix + hash, show key once
 */
export function generateApiKey(): GeneratedApiKey {
  // randomInt draws without modulo bias, so every prefix character is uniform.
  const prefix = Array.from(
    { length: PREFIX_LENGTH },
    () => PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)],
  ).join('');
  const key = `${KEY_MARKER}${prefix}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/**
 * The prefix of a well-formed key, or undefined. A format check only: whether the key exists,
 * matches its hash and is still valid is for the store to say.
 *
 * @example
 *   parseApiKey('keel_k3v9x2ab_Qm9…'); // { prefix: 'k3v9x2ab' }
 *   parseApiKey('eyJhbGciOi…'); // undefined
 */
export function parseApiKey(text: string): { prefix: string } | undefined {
  const match = API_KEY_PATTERN.exec(text);
  return match?.[1] === undefined ? undefined : { prefix: match[1] };
}

/**
 * Whether a bearer credential is meant as an API key rather than a JWT (which starts `eyJ`).
 * Deliberately looser than `parseApiKey`, so a mangled key is reported as a bad API key instead
 * of a bad access token.
 */
export function looksLikeApiKey(text: string): boolean {
  return text.startsWith(KEY_MARKER);
}

/**
 * Hex SHA-256 of a whole key. A fast hash suffices because the secret is 256 random bits; see
 * `hashToken` in tokens.ts for the full argument.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
