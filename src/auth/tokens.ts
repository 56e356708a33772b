import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { AuthenticationError } from './errors.js';
import type { SigningKeys } from './signing-keys.js';

/** Tolerated clock difference between the machine that issued a token and the one checking it. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Real access tokens are well under 1 KiB; refusing huge ones early bounds the parsing work. */
const MAX_TOKEN_LENGTH = 8192;

const accessClaimsSchema = z.object({
  sub: z.string().min(1),
  ws: z.string().min(1),
  role: z.enum(['admin', 'manager', 'user']),
  sid: z.string().min(1),
  typ: z.literal('access'),
  jti: z.string().min(1),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  iat: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int(),
});

/** The checked claims of an access token: `sub` is the user, `ws` the workspace, `sid` the session. */
export type AccessClaims = z.infer<typeof accessClaimsSchema>;

export interface AccessTokenSubject {
  userId: string;
  workspaceId: string;
  role: AccessClaims['role'];
  sessionId: string;
}

export interface TokenService {
  issueAccessToken(subject: AccessTokenSubject): Promise<{ token: string; expiresIn: number }>;
  /** The token's claims, or an `AuthenticationError('invalid_token')` saying what is wrong. */
  verifyAccessToken(token: string): Promise<AccessClaims>;
}

export interface TokenServiceOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  /** Access-token lifetime; 900 (15 minutes) unless configured. */
  accessTtlSeconds?: number;
  /** The current time; tests move it to check expiry. */
  now?: () => Date;
}

/**
 * Issues and checks short-lived JWT access tokens signed with the first loaded key. Verification
 * accepts only the algorithm each loaded `kid` was configured with, so `none`, HMAC and
 * algorithm-confusion tricks have nothing to match.
 *
 * @example
 *   const tokens = createTokenService({ keys, issuer: 'keel', audience: 'keel-api' });
 *   const { token } = await tokens.issueAccessToken({
 *     userId: 'usr_1', workspaceId: 'default', role: 'user', sessionId: 'ses_1',
 *   });
 *   const claims = await tokens.verifyAccessToken(token); // claims.sub === 'usr_1'
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { keys, issuer, audience, accessTtlSeconds = 900, now = () => new Date() } = options;
  return {
    async issueAccessToken({ userId, workspaceId, role, sessionId }) {
      const { kid, algorithm, privateKey } = keys.signingKey;
      const issuedAt = Math.floor(now().getTime() / 1000);
      const token = await new SignJWT({ ws: workspaceId, role, sid: sessionId, typ: 'access' })
        .setProtectedHeader({ alg: algorithm, kid, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(issuedAt + accessTtlSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
      return { token, expiresIn: accessTtlSeconds };
    },

    async verifyAccessToken(token) {
      const key = verificationKeyFor(keys, token);
      const verified = await jwtVerify(token, key.publicKey, {
        algorithms: [key.algorithm],
        issuer,
        audience,
        typ: 'JWT',
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now(),
        requiredClaims: ['exp', 'nbf', 'iat', 'jti', 'sub'],
      }).catch((error: unknown) => {
        throw invalidToken(messageFor(error));
      });
      // Checked before the shape so a refresh or other token gets the clearer message.
      if (verified.payload.typ !== 'access') {
        throw invalidToken('This token is not an access token');
      }
      const claims = accessClaimsSchema.safeParse(verified.payload);
      if (!claims.success) {
        throw invalidToken('The access token is missing claims or has claims of the wrong type');
      }
      return claims.data;
    },
  };
}

/** Picks the key the token names. Its header is read unverified only to choose the key. */
function verificationKeyFor(keys: SigningKeys, token: string) {
  if (token.length > MAX_TOKEN_LENGTH) throw invalidToken('The access token is too long');
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw invalidToken('The access token is malformed');
  }
  if (typeof kid !== 'string') {
    throw invalidToken('The access token does not name its signing key ("kid")');
  }
  const key = keys.publicKeys.get(kid);
  if (key === undefined) {
    throw invalidToken('The access token was signed by a key this server does not know');
  }
  return key;
}

/** A general description of why jose refused a token; never the token or its claims. */
function messageFor(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The access token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The access token is not valid yet';
    if (error.claim === 'iss') return 'The access token was issued by someone else';
    if (error.claim === 'aud') return 'The access token is meant for another audience';
    if (error.claim === 'typ') return 'The access token has a wrong "typ" header';
    return `The access token has a missing or invalid "${error.claim}" claim`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return 'The access token uses an algorithm that is not allowed';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return 'The access token has a signature that does not match';
  }
  return 'The access token is malformed';
}

function invalidToken(message: string): AuthenticationError {
  return new AuthenticationError('invalid_token', message);
}

const TOKEN_PREFIX = /^[a-z][a-z0-9]*$/;

/**
 * A random bearer secret such as a refresh or setup token: `<prefix>_<43 base64url characters>`.
 * The prefix tells a leaked token's kind at a glance (and lets secret scanners match it).
 *
 * @example
 *   newOpaqueToken('keelrt'); // 'keelrt_J3x…'
 */
export function newOpaqueToken(prefix: string): string {
  if (!TOKEN_PREFIX.test(prefix)) {
    throw new TypeError('A token prefix is lowercase letters and digits, starting with a letter');
  }
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Hex SHA-256 of a token, the form it is stored in. A fast hash is right here, unlike for
 * passwords: the token carries 256 random bits, so there is no dictionary to try and brute force
 * is hopeless however fast each guess is. Being unsalted and deterministic also lets the store
 * find a token by its hash with an index lookup.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
