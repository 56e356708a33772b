import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig, loadConfig } from './config.js';
import { secretVariables } from './variables.js';

const strongSecret = 'q8V#r2!mZp4L@x7Tn1Ws9Ke3Yb6Hd0Jf';
const noFile = { file: '/nonexistent/keel.yaml' };

function secretFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'keel-secret-')), 'secret');
  writeFileSync(path, content);
  return path;
}

describe('secrets given as files (*_FILE)', () => {
  it('reads every secret Keel knows from NAME_FILE, dropping the trailing newline', () => {
    const config = loadConfig({
      env: {
        KEEL_PROFILE: 'production',
        KEEL_SECRET_FILE: secretFile(`${strongSecret}\n`),
        KEEL_CREDENTIALS_KEY_FILE: secretFile(`${strongSecret}-credentials\n`),
        KEEL_INTERNAL_SECRET_FILE: secretFile(`${strongSecret}-internal`),
        KEEL_ORCHESTRATOR_URL: 'http://orchestrator:8081',
        OPENAI_API_KEY_FILE: secretFile('sk-from-a-file\n'),
        S3_ENDPOINT: 'http://minio:9000',
        S3_ACCESS_KEY_ID_FILE: secretFile('keel'),
        S3_SECRET_ACCESS_KEY_FILE: secretFile('minio secret'),
        KEEL_JWT_KEYS_FILE: secretFile('{"keys":[]}'),
        KEEL_CORS_ORIGINS: 'https://keel.example.com',
      },
      ...noFile,
    });
    expect(config.secret).toBe(strongSecret);
    expect(config.credentialsKey).toBe(`${strongSecret}-credentials`);
    expect(config.orchestrator.secret).toBe(`${strongSecret}-internal`);
    expect(config.providers.openai.apiKey).toBe('sk-from-a-file');
    expect(config.blobs.s3).toMatchObject({ accessKeyId: 'keel', secretAccessKey: 'minio secret' });
  });

  it('accepts a _FILE form of each variable marked secret', () => {
    expect(secretVariables.length).toBeGreaterThan(10);
    for (const name of secretVariables) {
      if (name === 'KEEL_JWT_KEYS') continue; // KEEL_JWT_KEYS_FILE is a path setting of its own
      const { problems } = checkConfig({ env: { [`${name}_FILE`]: '/nonexistent/x' }, ...noFile });
      expect(problems, name).toContainEqual({
        variable: `${name}_FILE`,
        message: 'names /nonexistent/x, which does not exist',
      });
    }
  });

  it('puts DATABASE_PASSWORD(_FILE) into a DATABASE_URL without one, and keeps a URL’s own', () => {
    const env = {
      DATABASE_URL: 'postgres://keel@postgres:5432/keel',
      DATABASE_READ_URL: 'postgres://keel@replica:5432/keel',
      DATABASE_PASSWORD_FILE: secretFile('p@ss word/1\n'),
    };
    const config = loadConfig({ env, ...noFile });
    expect(config.database.url).toBe('postgres://keel:p%40ss%20word%2F1@postgres:5432/keel');
    expect(new URL(config.database.readUrl!).hostname).toBe('replica');
    const own = loadConfig({
      env: { ...env, DATABASE_URL: 'postgres://keel:own@postgres:5432/keel' },
      ...noFile,
    });
    expect(own.database.url).toBe('postgres://keel:own@postgres:5432/keel');
  });

  it('names the variable when the file is missing, unreadable or empty, or set twice', () => {
    const unreadable = secretFile('x');
    chmodSync(unreadable, 0o000);
    const cases: [Record<string, string>, string][] = [
      [{ KEEL_SECRET_FILE: '/nonexistent/keel' }, 'names /nonexistent/keel, which does not exist'],
      [{ KEEL_SECRET_FILE: secretFile('\n') }, 'which is empty'],
      [{ KEEL_SECRET_FILE: secretFile(strongSecret), KEEL_SECRET: strongSecret }, 'both set'],
    ];
    // root reads any file whatever its mode; the check is only meaningful for other users.
    if (process.getuid?.() !== 0) cases.push([{ KEEL_SECRET_FILE: unreadable }, 'EACCES']);
    for (const [env, message] of cases) {
      const { problems } = checkConfig({ env, ...noFile });
      expect(problems).toEqual([
        { variable: 'KEEL_SECRET_FILE', message: expect.stringContaining(message) },
      ]);
    }
  });

  it('takes NAME_FILE from keel.yaml as well, and still refuses unknown settings there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-yaml-'));
    const file = join(dir, 'keel.yaml');
    writeFileSync(
      file,
      `KEEL_WEBHOOK_SECRET_FILE: ${secretFile(strongSecret)}\nKEEL_COLOUR: blue\n`,
    );
    const { config, problems } = checkConfig({ env: {}, file });
    expect(problems).toEqual([{ variable: 'KEEL_COLOUR', message: `unknown setting in ${file}` }]);
    expect(config?.webhooks.secret).toBe(strongSecret);
  });
});
