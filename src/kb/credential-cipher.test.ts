import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCredentialCipher, loadCredentialCipher } from './credential-cipher.js';

const key = 'Zr5!pQ9w@Lx2#Vn8Tm4&Kc7Hb1Jd3Fg6';

describe('credential cipher', () => {
  it('seals with a fresh IV each time and opens what it sealed', () => {
    const cipher = createCredentialCipher(key);
    const first = cipher.seal('bot:s3cret');
    const second = cipher.seal('bot:s3cret');
    expect(first).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('s3cret');
    expect(cipher.open(first)).toBe('bot:s3cret');
    expect(cipher.open(second)).toBe('bot:s3cret');
  });

  it('refuses a changed value or another key with a clear error, never garbage', () => {
    const sealed = createCredentialCipher(key).seal('bot:s3cret');
    const [format, iv, tag, body] = sealed.split(':');
    const flipped = `${body!.slice(0, -2)}${body!.endsWith('A') ? 'B' : 'A'}${body!.slice(-1)}`;
    for (const broken of [`${format}:${iv}:${tag}:${flipped}`, 'v1:x', 'plain text']) {
      expect(() => createCredentialCipher(key).open(broken)).toThrow(/KEEL_CREDENTIALS_KEY/);
    }
    expect(() => createCredentialCipher(`${key}-other`).open(sealed)).toThrow(
      expect.objectContaining({ code: 'credential_unreadable' }),
    );
  });

  it('generates a development key once, readable by its owner only, and reuses it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keel-key-')), 'data', 'credentials-key');
    const sealed = (await loadCredentialCipher({ key: undefined, generateInto: path })).seal('x');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim().length).toBeGreaterThanOrEqual(48);
    const again = await loadCredentialCipher({ key: undefined, generateInto: path });
    expect(again.open(sealed)).toBe('x');
    await expect(loadCredentialCipher({ key: undefined })).rejects.toMatchObject({
      code: 'credentials_key_missing',
    });
  });
});
