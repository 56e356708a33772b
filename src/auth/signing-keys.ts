import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type CryptoKey,
  type JWK,
  CompactSign,
  calculateJwkThumbprint,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
} from 'jose';
import { z } from 'zod';
import { ValidationError } from '../errors.js';

/** EdDSA (Ed25519) is the default; RS256 is accepted for operators whose HSM or KMS only does RSA. */
export type SigningAlgorithm = 'EdDSA' | 'RS256';

/** The key that signs new tokens: always the first one in the set. */
export interface SigningKey {
  kid: string;
  algorithm: SigningAlgorithm;
  privateKey: CryptoKey;
}

/** A key that verifies tokens; each `kid` is pinned to the one algorithm it was loaded with. */
export interface VerificationKey {
  kid: string;
  algorithm: SigningAlgorithm;
  publicKey: CryptoKey;
}

export interface SigningKeys {
  signingKey: SigningKey;
  publicKeys: ReadonlyMap<string, VerificationKey>;
  /** The public halves as a JWK Set, safe to publish (e.g. at `/.well-known/jwks.json`). */
  jwks(): { keys: JWK[] };
}

export interface SigningKeySource {
  /** The key set as JSON text, e.g. the content of an environment variable. */
  json?: string;
  /** Path of a file holding the key set. */
  file?: string;
  /** Development only: read the key set from here, or create it here on first start. */
  generateInto?: string;
}

const keySetSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

/**
 * Loads the JWT signing keys: `{"keys":[private JWK, …]}` where the first key signs and every key
 * verifies. Rotation is prepending a new key and dropping the old one once the tokens it signed
 * have expired (the access-token lifetime, 15 minutes, plus clock skew).
 *
 * @example
 *   const keys = await loadSigningKeys({ json: process.env.KEEL_JWT_KEYS });
 *   const devKeys = await loadSigningKeys({ generateInto: 'data/jwt-keys.json' });
 */
export async function loadSigningKeys(source: SigningKeySource): Promise<SigningKeys> {
  if (source.json !== undefined && source.file !== undefined) {
    throw new ValidationError(
      'signing_keys_ambiguous',
      'Signing keys were given both as JSON text and as a file; give only one',
    );
  }
  if (source.json !== undefined) return parseSigningKeys(source.json, 'the signing keys JSON');
  if (source.file !== undefined) {
    const text = await readKeyFile(source.file);
    if (text === undefined) {
      throw new ValidationError(
        'signing_keys_missing',
        `The signing keys file ${source.file} does not exist`,
      );
    }
    return parseSigningKeys(text, `the signing keys file ${source.file}`);
  }
  if (source.generateInto !== undefined) return loadOrGenerate(source.generateInto);
  throw new ValidationError(
    'signing_keys_missing',
    'No JWT signing keys are configured: give them as JSON text or as a file',
  );
}

/**
 * A fresh private Ed25519 JWK with `alg`, `use` and a thumbprint `kid`, ready to prepend to a key
 * set when rotating.
 *
 * @example
 *   const next = await generateSigningKeyJwk();
 *   const rotated = { keys: [next, ...current.keys] };
 */
export async function generateSigningKeyJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const { kty, crv, x, d } = await exportJWK(privateKey);
  // The RFC 7638 thumbprint names the key by its public half: stable, unique and not secret.
  const kid = await calculateJwkThumbprint({ kty, crv, x });
  return { kty, crv, x, d, alg: 'EdDSA', use: 'sig', kid };
}

async function loadOrGenerate(path: string): Promise<SigningKeys> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return parseSigningKeys(existing, `the signing keys file ${path}`);
  const text = `${JSON.stringify({ keys: [await generateSigningKeyJwk()] }, null, 2)}\n`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // `wx` refuses to overwrite: if another process created the file meanwhile, use theirs.
    await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return parseSigningKeys(await readFile(path, 'utf8'), `the signing keys file ${path}`);
  }
  return parseSigningKeys(text, `the signing keys file ${path}`);
}

async function readKeyFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function parseSigningKeys(text: string, origin: string): Promise<SigningKeys> {
  const invalid = (message: string) =>
    new ValidationError('signing_keys_invalid', `${origin}: ${message}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's own message quotes the text around the error, which here is key material.
    throw invalid('is not valid JSON');
  }
  const keySet = keySetSchema.safeParse(parsed);
  if (!keySet.success) throw invalid('must be a JSON object {"keys": [private JWK, …]}');

  const loaded: LoadedKey[] = [];
  for (const [index, jwk] of keySet.data.keys.entries()) {
    const parts = checkedKeyParts(jwk, index);
    if (typeof parts === 'string') throw invalid(parts);
    if (loaded.some((key) => key.kid === parts.kid)) {
      throw invalid(`kid "${parts.kid}" is used twice`);
    }
    const notAPair = invalid(
      `key "${parts.kid}" is not a valid ${parts.algorithm} key: its parts are malformed or do not belong together`,
    );
    const pair = await importKeyPair(parts).catch(() => {
      throw notAPair;
    });
    if (!(await halvesBelongTogether(pair.privateKey, pair.publicKey, parts.algorithm))) {
      throw notAPair;
    }
    loaded.push({ ...parts, ...pair });
  }
  const [first] = loaded;
  if (first === undefined) throw invalid('"keys" is empty; at least one key is needed');
  const publicJwks = loaded.map(({ kid, algorithm, publicJwk }): JWK => ({
    ...publicJwk,
    kid,
    alg: algorithm,
    use: 'sig',
  }));
  return {
    signingKey: { kid: first.kid, algorithm: first.algorithm, privateKey: first.privateKey },
    publicKeys: new Map(
      loaded.map(({ kid, algorithm, publicKey }) => [kid, { kid, algorithm, publicKey }]),
    ),
    jwks: () => ({ keys: publicJwks.map((jwk) => ({ ...jwk })) }),
  };
}

async function importKeyPair(parts: KeyParts) {
  // Only `oct` JWKs import as bytes; these are OKP or RSA, so both halves are CryptoKeys.
  const privateKey = (await importJWK(parts.privateJwk, parts.algorithm)) as CryptoKey;
  const publicKey = (await importJWK(parts.publicJwk, parts.algorithm)) as CryptoKey;
  return { privateKey, publicKey };
}

/**
 * Sign and verify a probe so a hand-edited key set with mismatched halves fails at start-up, not
 * on the first sign-in. Node already refuses a mismatched Ed25519 pair on import; RSA it does not.
 */
async function halvesBelongTogether(
  privateKey: CryptoKey,
  publicKey: CryptoKey,
  algorithm: SigningAlgorithm,
): Promise<boolean> {
  const probe = await new CompactSign(new TextEncoder().encode('keel signing key probe'))
    .setProtectedHeader({ alg: algorithm })
    .sign(privateKey);
  return compactVerify(probe, publicKey, { algorithms: [algorithm] }).then(
    () => true,
    () => false,
  );
}

interface KeyParts {
  kid: string;
  algorithm: SigningAlgorithm;
  /** Only the members the key needs: `ext`, `key_ops` and the like are dropped on purpose. */
  privateJwk: JWK;
  publicJwk: JWK;
}

type LoadedKey = KeyParts & { privateKey: CryptoKey; publicKey: CryptoKey };
type Members = Record<string, unknown>;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MAX_KID_LENGTH = 200;
const RSA_PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;
const MIN_RSA_BITS = 2048;

/**
 * The usable parts of one JWK, or a sentence saying what is wrong with it. Messages name the key
 * by `kid` (or position) and never quote a key member.
 */
function checkedKeyParts(jwk: Members, index: number): KeyParts | string {
  const kid = jwk.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    return `key ${index + 1} needs a "kid" (1 to ${MAX_KID_LENGTH} characters) naming it in tokens`;
  }
  const name = `key "${kid}"`;
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    return `${name} is not a signing key ("use" must be "sig")`;
  }
  if (jwk.kty === 'OKP') return checkedEd25519Parts(jwk, kid, name);
  if (jwk.kty === 'RSA') return checkedRsaParts(jwk, kid, name);
  return `${name} is neither an Ed25519 key ("kty": "OKP") nor an RSA key ("kty": "RSA")`;
}

function checkedEd25519Parts(jwk: Members, kid: string, name: string): KeyParts | string {
  if (jwk.crv !== 'Ed25519') return `${name}: of the OKP curves only Ed25519 is accepted`;
  if (jwk.alg !== undefined && jwk.alg !== 'EdDSA') {
    return `${name}: an Ed25519 key must have "alg": "EdDSA"`;
  }
  if (!isEncoded(jwk.x)) return `${name} lacks its public part "x"`;
  if (jwk.d === undefined) return publicOnly(name);
  if (!isEncoded(jwk.d)) return `${name} has a malformed private part "d"`;
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  return { kid, algorithm: 'EdDSA', publicJwk, privateJwk: { ...publicJwk, d: jwk.d } };
}

function checkedRsaParts(jwk: Members, kid: string, name: string): KeyParts | string {
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') {
    return `${name}: an RSA key must have "alg": "RS256"`;
  }
  if (!isEncoded(jwk.n) || !isEncoded(jwk.e)) return `${name} lacks its public parts "n" and "e"`;
  if (rsaModulusBits(jwk.n) < MIN_RSA_BITS) return `${name} is shorter than ${MIN_RSA_BITS} bits`;
  if (jwk.d === undefined) return publicOnly(name);
  const privateMembers: Record<string, string> = {};
  for (const member of RSA_PRIVATE_MEMBERS) {
    const value = jwk[member];
    if (!isEncoded(value)) {
      return `${name} needs all private members (${RSA_PRIVATE_MEMBERS.join(', ')})`;
    }
    privateMembers[member] = value;
  }
  const publicJwk = { kty: 'RSA', n: jwk.n, e: jwk.e };
  return { kid, algorithm: 'RS256', publicJwk, privateJwk: { ...publicJwk, ...privateMembers } };
}

function publicOnly(name: string): string {
  return `${name} is a public key; signing needs the private key (its "d" member)`;
}

function isEncoded(value: unknown): value is string {
  return typeof value === 'string' && BASE64URL.test(value);
}

function rsaModulusBits(modulus: string): number {
  const bytes = Buffer.from(modulus, 'base64url');
  const first = bytes.findIndex((byte) => byte !== 0);
  if (first === -1) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first] as number));
}
