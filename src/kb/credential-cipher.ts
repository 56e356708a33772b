import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeelError } from '../errors.js';

/** Seals short secrets (git source credentials) for storage and opens them again. */
export interface CredentialCipher {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

const FORMAT = 'v1';
const IV_BYTES = 12;
// Binds every sealed value to its purpose: a ciphertext made for something else does not open.
const ASSOCIATED_DATA = Buffer.from('keel:source-credential');

/**
 * AES-256-GCM under a key derived (HKDF-SHA256) from the configured secret text. A sealed value
 * is `v1:<iv>:<tag>:<ciphertext>` in base64url: a fresh random IV each time, and the tag makes a
 * changed or foreign value fail to open instead of decrypting to garbage.
 *
 * @example
 *   const cipher = createCredentialCipher(process.env.KEEL_CREDENTIALS_KEY!);
 *   cipher.open(cipher.seal('bot:s3cret')); // → 'bot:s3cret'
 */
export function createCredentialCipher(secret: string): CredentialCipher {
  const key = Buffer.from(
    hkdfSync('sha256', secret, Buffer.alloc(0), 'keel source credentials', 32),
  );
  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(ASSOCIATED_DATA);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'));
      return [FORMAT, ...parts].join(':');
    },
    open(sealed) {
      const [format, iv, tag, body] = sealed.split(':');
      if (format !== FORMAT || iv === undefined || tag === undefined || body === undefined)
        throw unreadable();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
          .setAAD(ASSOCIATED_DATA)
          .setAuthTag(Buffer.from(tag, 'base64url'));
        const text = Buffer.concat([
          decipher.update(Buffer.from(body, 'base64url')),
          decipher.final(),
        ]);
        return text.toString('utf8');
      } catch {
        throw unreadable();
      }
    },
  };
}

function unreadable(): KeelError {
  return new KeelError(
    'credential_unreadable',
    'A stored source credential cannot be opened with KEEL_CREDENTIALS_KEY (was the key changed?); add the source again with its credential',
    500,
  );
}

/**
 * The cipher for the configured key; in development without one, a key generated once into
 * `generateInto` (mode 0600) and read from there afterwards.
 *
 * @example
 *   const cipher = await loadCredentialCipher({ key: config.credentialsKey,
 *     generateInto: join(config.dataDir, 'credentials-key') });
 */
export async function loadCredentialCipher(source: {
  key: string | undefined;
  generateInto?: string;
}): Promise<CredentialCipher> {
  if (source.key !== undefined) return createCredentialCipher(source.key);
  if (source.generateInto === undefined) {
    throw new KeelError(
      'credentials_key_missing',
      'KEEL_CREDENTIALS_KEY is not configured; it is generated in development only',
    );
  }
  return createCredentialCipher(await readOrGenerateKey(source.generateInto));
}

async function readOrGenerateKey(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) return existing.trim();
  const key = randomBytes(48).toString('base64url');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // `wx` refuses to overwrite: if another process created the key meanwhile, use theirs.
    await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(path, 'utf8')).trim();
  }
}
