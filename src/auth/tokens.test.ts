import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError } from './errors.js';
import { type SigningKeys, generateSigningKeyJwk, loadSigningKeys } from './signing-keys.js';
import { createTokenService, hashToken, newOpaqueToken } from './tokens.js';

const ISSUER = 'keel';
const AUDIENCE = 'keel-api';
const SUBJECT = {
  userId: 'usr_1',
  workspaceId: 'ws_a',
  role: 'manager',
  sessionId: 'ses_1',
} as const;

let keys: SigningKeys;
let signingJwk: Awaited<ReturnType<typeof generateSigningKeyJwk>>;
beforeAll(async () => {
  signingJwk = await generateSigningKeyJwk();
  keys = await loadSigningKeys({ json: JSON.stringify({ keys: [signingJwk] }) });
});

function service(now?: () => Date) {
  return createTokenService({
    keys,
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTtlSeconds: 900,
    now,
  });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Claims a real access token would carry; each attack changes one thing. */
function accessClaims(overrides: Record<string, unknown> = {}) {
  const issuedAt = nowSeconds();
  return {
    sub: 'usr_1',
    ws: 'ws_a',
    role: 'admin',
    sid: 'ses_1',
    typ: 'access',
    jti: 'jti-1',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + 900,
    ...overrides,
  };
}

/** A token signed by the server's real key, with whatever claims and header the test chooses. */
async function signedByRealKey(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.signingKey.kid, typ: 'JWT', ...header })
    .sign(keys.signingKey.privateKey);
}

function encodeJson(value: object): string {
  return base64url.encode(JSON.stringify(value));
}

/** The message the verifier gives for `token`, asserting it is refused as `invalid_token`. */
async function refusal(token: string, verifier = service()): Promise<string> {
  const error: unknown = await verifier.verifyAccessToken(token).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
  return (error as AuthenticationError).message;
}

describe('access tokens', () => {
  it('round-trips the subject, with the header and claims a verifier expects', async () => {
    const { token, expiresIn } = await service().issueAccessToken(SUBJECT);
    expect(expiresIn).toBe(900);
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'EdDSA', kid: keys.signingKey.kid, typ: 'JWT' });
    const claims = await service().verifyAccessToken(token);
    expect(claims).toMatchObject({
      sub: 'usr_1',
      ws: 'ws_a',
      role: 'manager',
      sid: 'ses_1',
      typ: 'access',
      iss: ISSUER,
      aud: AUDIENCE,
    });
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.nbf).toBe(claims.iat);
    const another = await service().issueAccessToken(SUBJECT);
    expect(decodeJwt(another.token).jti).not.toBe(claims.jti);
  });

  it('expires after its lifetime, give or take 5 seconds of clock skew', async () => {
    const issuedAt = Date.now();
    const { token } = await service(() => new Date(issuedAt)).issueAccessToken(SUBJECT);
    const withinSkew = service(() => new Date(issuedAt + 904_000));
    await expect(withinSkew.verifyAccessToken(token)).resolves.toMatchObject({ sub: 'usr_1' });
    const later = service(() => new Date(issuedAt + 906_000));
    expect(await refusal(token, later)).toBe('The access token has expired');
  });
});

describe('token attacks, each refused', () => {
  it('alg "none": an unsigned token with valid-looking claims', async () => {
    const header = encodeJson({ alg: 'none', kid: keys.signingKey.kid, typ: 'JWT' });
    const token = `${header}.${encodeJson(accessClaims())}.`;
    expect(await refusal(token)).toBe('The access token uses an algorithm that is not allowed');
  });

  it('HS256 with the public key bytes as the HMAC secret (algorithm confusion)', async () => {
    const publicJwk = keys.jwks().keys[0];
    const secrets = [JSON.stringify(publicJwk), base64url.decode(String(publicJwk?.x))];
    for (const secret of secrets) {
      const header = encodeJson({ alg: 'HS256', kid: keys.signingKey.kid, typ: 'JWT' });
      const signingInput = `${header}.${encodeJson(accessClaims())}`;
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect(await refusal(`${signingInput}.${signature}`)).toBe(
        'The access token uses an algorithm that is not allowed',
      );
    }
  });

  it('expired', async () => {
    const token = await signedByRealKey(
      accessClaims({ iat: nowSeconds() - 1000, exp: nowSeconds() - 60 }),
    );
    expect(await refusal(token)).toBe('The access token has expired');
  });

  it('not yet valid (nbf in the future)', async () => {
    const token = await signedByRealKey(accessClaims({ nbf: nowSeconds() + 60 }));
    expect(await refusal(token)).toBe('The access token is not valid yet');
  });

  it('wrong audience', async () => {
    const token = await signedByRealKey(accessClaims({ aud: 'another-api' }));
    expect(await refusal(token)).toBe('The access token is meant for another audience');
  });

  it('wrong issuer', async () => {
    const token = await signedByRealKey(accessClaims({ iss: 'someone-else' }));
    expect(await refusal(token)).toBe('The access token was issued by someone else');
  });

  it('a refresh token (typ "refresh") signed by the real key', async () => {
    const token = await signedByRealKey(accessClaims({ typ: 'refresh' }));
    expect(await refusal(token)).toBe('This token is not an access token');
  });

  it('a signed token without a token type', async () => {
    const { typ: _type, ...untyped } = accessClaims();
    expect(await refusal(await signedByRealKey(untyped))).toBe('This token is not an access token');
  });

  it('a signed access token with claims of the wrong shape', async () => {
    const token = await signedByRealKey(accessClaims({ role: 'owner' }));
    expect(await refusal(token)).toBe(
      'The access token is missing claims or has claims of the wrong type',
    );
  });

  it('tampered payload: a claim flipped, the signature kept', async () => {
    const { token } = await service().issueAccessToken({ ...SUBJECT, role: 'user' });
    const [header, , signature] = token.split('.');
    const claims = decodeJwt(token);
    const forged = `${header}.${encodeJson({ ...claims, role: 'admin' })}.${signature}`;
    expect(await refusal(forged)).toBe('The access token has a signature that does not match');
  });

  it('unknown kid', async () => {
    const token = await signedByRealKey(accessClaims(), { kid: 'not-a-key-of-ours' });
    expect(await refusal(token)).toBe(
      'The access token was signed by a key this server does not know',
    );
  });

  it('no kid at all', async () => {
    const token = await new SignJWT(accessClaims())
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .sign(keys.signingKey.privateKey);
    expect(await refusal(token)).toBe('The access token does not name its signing key ("kid")');
  });

  it('signed by a different Ed25519 key that claims the same kid', async () => {
    const impostorJwk = await generateSigningKeyJwk();
    const impostorKey = await importJWK({ ...impostorJwk, kid: undefined }, 'EdDSA');
    const token = await new SignJWT(accessClaims())
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.signingKey.kid, typ: 'JWT' })
      .sign(impostorKey);
    expect(await refusal(token)).toBe('The access token has a signature that does not match');
  });

  it('RS256 from a key the server never loaded, under our kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT(accessClaims())
      .setProtectedHeader({ alg: 'RS256', kid: keys.signingKey.kid, typ: 'JWT' })
      .sign(privateKey);
    expect(await refusal(token)).toBe('The access token uses an algorithm that is not allowed');
  });

  it('garbage and oversized input', async () => {
    expect(await refusal('not.a.jwt')).toBe('The access token is malformed');
    expect(await refusal('')).toBe('The access token is malformed');
    expect(await refusal('a'.repeat(9000))).toBe('The access token is too long');
  });
});

describe('key rotation', () => {
  it('keeps old tokens valid while the old key is in the set, and signs new ones with the new key', async () => {
    const { token: oldToken } = await service().issueAccessToken(SUBJECT);
    const newJwk = await generateSigningKeyJwk();
    const rotated = await loadSigningKeys({ json: JSON.stringify({ keys: [newJwk, signingJwk] }) });
    const rotatedService = createTokenService({
      keys: rotated,
      issuer: ISSUER,
      audience: AUDIENCE,
    });

    await expect(rotatedService.verifyAccessToken(oldToken)).resolves.toMatchObject({
      sub: 'usr_1',
    });
    const { token: newToken } = await rotatedService.issueAccessToken(SUBJECT);
    const header = decodeProtectedHeader(newToken);
    expect(header.kid).toBe(newJwk.kid);
    await expect(rotatedService.verifyAccessToken(newToken)).resolves.toMatchObject({
      sub: 'usr_1',
    });

    const retired = await loadSigningKeys({ json: JSON.stringify({ keys: [newJwk] }) });
    const retiredService = createTokenService({
      keys: retired,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    expect(await refusal(oldToken, retiredService)).toBe(
      'The access token was signed by a key this server does not know',
    );
  });
});

describe('opaque tokens', () => {
  it('are prefixed, carry 32 random bytes and never repeat', () => {
    const token = newOpaqueToken('keelrt');
    expect(token).toMatch(/^keelrt_[A-Za-z0-9_-]{43}$/);
    expect(newOpaqueToken('keelrt')).not.toBe(token);
    expect(() => newOpaqueToken('Bad Prefix')).toThrow(TypeError);
  });

  it('are stored as their hex SHA-256', () => {
    expect(hashToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
