import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { generateSigningKeyJwk, loadSigningKeys } from './signing-keys.js';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'keel-signing-keys-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

function keySetJson(...keys: object[]): string {
  return JSON.stringify({ keys });
}

/** The failure message of loading `json`, asserting it is a ValidationError. */
async function refusal(source: Parameters<typeof loadSigningKeys>[0]): Promise<string> {
  const error: unknown = await loadSigningKeys(source).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).message;
}

describe('loadSigningKeys', () => {
  it('generates a key on first start into a 0600 file and reloads the same key after', async () => {
    const path = join(folder, 'nested', 'jwt-keys.json');
    const first = await loadSigningKeys({ generateInto: path });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await loadSigningKeys({ generateInto: path });
    expect(second.signingKey.kid).toBe(first.signingKey.kid);
    expect(second.signingKey.algorithm).toBe('EdDSA');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      keys: [{ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: first.signingKey.kid }],
    });
  });

  it('signs with the first key and verifies with all of them', async () => {
    const [newer, older] = [await generateSigningKeyJwk(), await generateSigningKeyJwk()];
    const keys = await loadSigningKeys({ json: keySetJson(newer, older) });
    expect(keys.signingKey.kid).toBe(newer.kid);
    expect([...keys.publicKeys.keys()]).toEqual([newer.kid, older.kid]);
  });

  it('publishes only the public halves in the JWK Set', async () => {
    const jwk = await generateSigningKeyJwk();
    const keys = await loadSigningKeys({ json: keySetJson(jwk) });
    expect(keys.jwks()).toEqual({
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg: 'EdDSA', use: 'sig' }],
    });
  });

  it('reads a key file', async () => {
    const jwk = await generateSigningKeyJwk();
    const path = join(folder, 'keys.json');
    await writeFile(path, keySetJson(jwk));
    expect((await loadSigningKeys({ file: path })).signingKey.kid).toBe(jwk.kid);
  });

  it('accepts an RSA key of 2048 bits for RS256', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256' };
    const keys = await loadSigningKeys({ json: keySetJson(jwk) });
    expect(keys.signingKey).toMatchObject({ kid: 'rsa-1', algorithm: 'RS256' });
  });

  it('refuses text that is not JSON without quoting it', async () => {
    const message = await refusal({ json: '{"keys": [{"d": "SECRETSECRET"' });
    expect(message).toBe('the signing keys JSON: is not valid JSON');
  });

  it('refuses a public-only key', async () => {
    const { d: _private, ...publicOnly } = await generateSigningKeyJwk();
    const message = await refusal({ json: keySetJson(publicOnly) });
    expect(message).toContain(`key "${publicOnly.kid}" is a public key`);
  });

  it('refuses an empty key set, a missing kid and a repeated kid', async () => {
    const jwk = await generateSigningKeyJwk();
    expect(await refusal({ json: '{"keys": []}' })).toContain('"keys" is empty');
    expect(await refusal({ json: '[]' })).toContain('must be a JSON object');
    expect(await refusal({ json: keySetJson({ ...jwk, kid: undefined }) })).toContain(
      'key 1 needs a "kid"',
    );
    expect(await refusal({ json: keySetJson(jwk, jwk) })).toContain('is used twice');
  });

  it('refuses keys of other kinds and short RSA keys', async () => {
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ec = { ...ecKey.export({ format: 'jwk' }), kid: 'ec' };
    expect(await refusal({ json: keySetJson(ec) })).toContain('neither an Ed25519 key');
    const secret = { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' };
    expect(await refusal({ json: keySetJson(secret) })).toContain('neither an Ed25519 key');
    const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const rsa = { ...shortRsa.export({ format: 'jwk' }), kid: 'rsa-short' };
    expect(await refusal({ json: keySetJson(rsa) })).toContain('shorter than 2048 bits');
  });

  it('refuses a key whose private half belongs to another key', async () => {
    const [one, other] = [await generateSigningKeyJwk(), await generateSigningKeyJwk()];
    const message = await refusal({ json: keySetJson({ ...one, d: other.d }) });
    expect(message).toContain('do not belong together');
    expect(message).toContain(String(one.kid));
    expect(message).not.toContain(String(other.d));
  });

  it('refuses an RSA key whose private members belong to another modulus', async () => {
    const rsaJwk = () =>
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const [one, other] = [rsaJwk(), rsaJwk()];
    const mixed = { ...other, n: one.n, e: one.e, kid: 'rsa-mixed' };
    expect(await refusal({ json: keySetJson(mixed) })).toContain('do not belong together');
  });

  it('refuses no source, two sources and a missing file', async () => {
    expect(await refusal({})).toContain('No JWT signing keys are configured');
    expect(await refusal({ json: '{}', file: 'keys.json' })).toContain('give only one');
    expect(await refusal({ file: join(folder, 'absent.json') })).toContain('does not exist');
  });
});
