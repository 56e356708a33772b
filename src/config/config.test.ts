import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig, installRoot, loadConfig } from './config.js';
import { variablesTable } from './variables.js';

const strongSecret = 'q8V#r2!mZp4L@x7Tn1Ws9Ke3Yb6Hd0Jf';
const strongKey = 'Zr5!pQ9w@Lx2#Vn8Tm4&Kc7Hb1Jd3Fg6';
const noFile = { file: '/nonexistent/keel.yaml' };

describe('configuration', () => {
  it('works with no settings at all: development, extractive, loopback, port 8080', () => {
    const config = loadConfig({ env: {}, ...noFile });
    expect(config.profile).toBe('development');
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.providers.chat).toBe('extractive');
    expect(config.providers.embeddings).toBe('none');
    expect(config.knowledgeDir).toBe(join(installRoot, 'knowledge'));
  });

  it('switches the provider when a key is set', () => {
    const config = loadConfig({ env: { OPENAI_API_KEY: 'sk-test' }, ...noFile });
    expect(config.providers.chat).toBe('openai');
    expect(config.providers.embeddings).toBe('openai');
    expect(config.providers.fallback).toEqual(['extractive']);
  });

  it('names every bad variable at once', () => {
    const { problems } = checkConfig({
      env: { PORT: 'eighty', KEEL_PROFILE: 'prod', KEEL_LLM: 'gpt', OPENAI_BASE_URL: 'ftp://x' },
      ...noFile,
    });
    expect(problems.map((problem) => problem.variable).sort()).toEqual(
      ['KEEL_LLM', 'KEEL_PROFILE', 'OPENAI_BASE_URL', 'PORT'].sort(),
    );
  });

  it('requires the key of a selected provider', () => {
    const { problems } = checkConfig({ env: { KEEL_LLM: 'gemini' }, ...noFile });
    expect(problems).toEqual([expect.objectContaining({ variable: 'GEMINI_API_KEY' })]);
  });

  it('refuses to bind beyond loopback with sign-in off', () => {
    const { problems } = checkConfig({ env: { KEEL_HOST: '0.0.0.0' }, ...noFile });
    expect(problems).toEqual([expect.objectContaining({ variable: 'KEEL_AUTH' })]);
    expect(
      checkConfig({ env: { KEEL_HOST: '0.0.0.0', KEEL_AUTH: 'on' }, ...noFile }).problems,
    ).toEqual([]);
  });

  it.each([
    [undefined, 'is missing'],
    ['short', 'too short'],
    ['changemechangemechangemechangeme1', 'weak value'],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'distinct'],
  ])('production refuses the secret %s', (secret, message) => {
    const env = { KEEL_PROFILE: 'production', ...(secret && { KEEL_SECRET: secret }) };
    expect(() => loadConfig({ env, ...noFile })).toThrow(message);
  });

  it('names weak Argon2id settings and conflicting or missing signing keys', () => {
    const { problems } = checkConfig({
      env: {
        KEEL_ARGON2_MEMORY_KIB: '1024',
        KEEL_ARGON2_ITERATIONS: '1',
        KEEL_JWT_KEYS: '{"keys":[]}',
        KEEL_JWT_KEYS_FILE: '/nonexistent/keys.json',
      },
      ...noFile,
    });
    expect(problems.map((problem) => problem.variable).sort()).toEqual([
      'KEEL_ARGON2_MEMORY_KIB',
      'KEEL_JWT_KEYS',
      'KEEL_JWT_KEYS_FILE',
    ]);
  });

  it.each(['null', '*', 'https://app.example.com/path', 'app.example.com'])(
    'production refuses KEEL_CORS_ORIGINS=%s',
    (origins) => {
      const env = {
        KEEL_PROFILE: 'production',
        KEEL_SECRET: strongSecret,
        KEEL_CREDENTIALS_KEY: strongKey,
        KEEL_CORS_ORIGINS: `https://keel.example.com,${origins}`,
      };
      expect(checkConfig({ env, ...noFile }).problems).toEqual([
        expect.objectContaining({ variable: 'KEEL_CORS_ORIGINS' }),
      ]);
    },
  );

  it('production starts with a strong secret and credentials key', () => {
    const config = loadConfig({
      env: {
        KEEL_PROFILE: 'production',
        KEEL_SECRET: strongSecret,
        KEEL_CREDENTIALS_KEY: strongKey,
      },
      ...noFile,
    });
    expect(config.profile).toBe('production');
    expect(config.credentialsKey).toBe(strongKey);
  });

  it.each([
    ['production', undefined, 'is required in production'],
    ['staging', undefined, 'is required in staging'],
    ['production', 'changemechangemechangemechangeme1', 'weak value'],
    ['development', 'short', 'too short'],
  ])('%s refuses the credentials key %s', (profile, key, message) => {
    const env = {
      KEEL_PROFILE: profile,
      KEEL_SECRET: strongSecret,
      ...(key && { KEEL_CREDENTIALS_KEY: key }),
    };
    expect(checkConfig({ env, ...noFile }).problems).toEqual([
      { variable: 'KEEL_CREDENTIALS_KEY', message: expect.stringContaining(message) },
    ]);
  });

  it('reads keel.yaml and lets the environment win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-config-'));
    const file = join(dir, 'keel.yaml');
    writeFileSync(file, 'PORT: 9090\nKEEL_LOG_LEVEL: debug\n');
    expect(loadConfig({ env: {}, file }).server.port).toBe(9090);
    expect(loadConfig({ env: { PORT: '7070' }, file }).server.port).toBe(7070);
  });

  it('reports unknown keys and broken YAML in keel.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-config-'));
    const file = join(dir, 'keel.yaml');
    writeFileSync(file, 'PROT: 9090\n');
    expect(checkConfig({ env: {}, file }).problems).toEqual([
      expect.objectContaining({ variable: 'PROT' }),
    ]);
    writeFileSync(file, 'PORT: [unclosed\n');
    expect(checkConfig({ env: {}, file }).problems[0]?.message).toContain('not valid YAML');
  });

  it('the README configuration table is the generated one', () => {
    const readme = readFileSync(join(installRoot, 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- config-table:start -->');
    const end = readme.indexOf('<!-- config-table:end -->');
    expect(start).toBeGreaterThan(-1);
    expect(readme.slice(start + '<!-- config-table:start -->'.length, end).trim()).toBe(
      variablesTable(),
    );
  });
});
