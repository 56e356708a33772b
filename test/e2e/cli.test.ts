import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, keelCommand } from '../helpers/keel-process.js';

// Every test sets its limit from the number of commands it runs (cliTestTimeout): a command
// takes seconds on an idle machine and far longer on a busy one, and neither may fail a test.

describe('keel CLI, end to end on a fresh data folder', () => {
  let env: NodeJS.ProcessEnv;
  const keel = (...args: string[]) => keelCommand(args, env);

  beforeAll(() => {
    const root = mkdtempSync(join(tmpdir(), 'keel-cli-'));
    env = {
      ...process.env,
      KEEL_DATA_DIR: join(root, 'data'),
      KEEL_LOG_LEVEL: 'silent',
      KEEL_ARGON2_MEMORY_KIB: '19456',
      KEEL_ARGON2_ITERATIONS: '2',
      KEEL_ARGON2_PARALLELISM: '1',
      KEEL_USER_PASSWORD: 'a sturdy passphrase',
    };
  });

  it(
    'asks a question and prints cited sources',
    async () => {
      const { code, out } = await keel('ask', 'How do I roll back a policy?');
      expect(code).toBe(0);
      expect(out).toMatch(
        /\[1\] policies\.md#Policies > Rolling back a policy \(lines \d+–\d+\) @ [0-9a-f]{12}/,
      );
    },
    cliTestTimeout(1),
  );

  it(
    'syncs a folder by path, then reports and searches it',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'keel-cli-kb-'));
      writeFileSync(
        join(folder, 'zebras.md'),
        '# Zebras\n\nZebras have black and white stripes.\n',
      );
      expect((await keel('kb', 'sync', '--source', folder)).out).toMatch(
        /ok @ [0-9a-f]{12} — 1 added/,
      );
      expect((await keel('kb', 'status')).out).toMatch(/keel-cli-kb-\w+ \(folder/);
      const search = JSON.parse(
        (await keel('kb', 'search', 'zebra stripes', '--k', '1', '--json')).out,
      );
      expect(search.hits[0]).toMatchObject({ path: 'zebras.md', heading: 'Zebras', lines: [1, 3] });
      expect((await keel('kb', 'search', 'x', '--k', '0')).code).not.toBe(0);
    },
    cliTestTimeout(5),
  );

  it(
    'lists, tests and rolls back policies, refusing what cannot be done',
    async () => {
      expect((await keel('policy', 'list')).out).toMatch(/\* [0-9a-f]{12} .*active/);
      expect((await keel('policy', 'test')).out).toMatch(/\d+ passed, 0 failed/);
      const rollback = await keel('policy', 'rollback');
      expect(rollback.code).toBe(1);
      expect(rollback.out).toContain('nothing_to_roll_back');
    },
    cliTestTimeout(3),
  );

  it(
    'creates users and API keys, and revokes them',
    async () => {
      expect(
        (await keel('user', 'create', '--email', 'ops@example.com', '--role', 'admin')).out,
      ).toContain('Created admin ops@example.com');
      expect((await keel('user', 'list')).out).toContain('ops@example.com  admin  default  active');
      const created = await keel(
        'apikey',
        'create',
        '--email',
        'ops@example.com',
        '--name',
        'ci',
        '--scopes',
        'chat',
      );
      expect(created.out).toMatch(/keel_[a-z0-9]{8}_\S+/);
      const id = /Created API key (key_\w+)/.exec(created.out)?.[1] ?? '';
      expect((await keel('apikey', 'revoke', id)).out).toContain(`Revoked ${id}`);
      expect((await keel('apikey', 'list')).out).toMatch(/revoked/);
      expect(
        (
          await keel(
            'apikey',
            'create',
            '--email',
            'ops@example.com',
            '--name',
            'x',
            '--scopes',
            'root',
          )
        ).code,
      ).not.toBe(0);
    },
    cliTestTimeout(6),
  );

  it(
    'config check names every bad variable and fails',
    async () => {
      const saved = env;
      env = { ...env, PORT: 'eighty', KEEL_HOST: '0.0.0.0' };
      const { code, out } = await keel('config', 'check');
      env = saved;
      expect(code).toBe(1);
      expect(out).toContain('PORT:');
      expect(out).toContain('KEEL_AUTH:');
    },
    cliTestTimeout(1),
  );

  it(
    'refuses to start the orchestrator with a missing or guessable internal secret',
    async () => {
      const saved = env;
      for (const secret of [undefined, 'changeme', 'changeme-changeme-changeme-changeme']) {
        env = { ...saved };
        if (secret === undefined) delete env.KEEL_INTERNAL_SECRET;
        else env.KEEL_INTERNAL_SECRET = secret;
        const { code, out } = await keel('orchestrator');
        expect(code, out).toBe(1);
        expect(out).toContain('KEEL_INTERNAL_SECRET');
        expect(out).not.toContain(secret ?? 'undefined');
      }
      env = saved;
    },
    cliTestTimeout(3),
  );
});
