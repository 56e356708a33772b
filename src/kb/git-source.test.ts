import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assertSafeGitUrl,
  checkoutGitSource,
  gitHeadCommit,
  redactCredentials,
} from './git-source.js';

let workspace: string;
let upstream: string;

/** Runs git in the upstream repository with a fixed identity, whatever the machine's config. */
function git(...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=Keel Test',
      '-c',
      'user.email=test@keel.invalid',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: upstream, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
}

async function commitFile(path: string, content: string): Promise<string> {
  await writeFile(join(upstream, path), content);
  git('add', '--all');
  git('commit', '--quiet', '-m', `Update ${path}`);
  return git('rev-parse', 'HEAD');
}

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'keel-git-'));
  upstream = join(workspace, 'upstream');
  await mkdir(upstream);
  git('init', '--quiet', '--initial-branch=main');
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('checkoutGitSource', () => {
  it('clones the branch head, then follows new commits and deletions', async () => {
    await commitFile('guide.md', '# Guide\n');
    const firstCommit = await commitFile('old.md', '# Old\n');
    const cacheDir = join(workspace, 'cache', 'source-1');

    const first = await checkoutGitSource({ url: upstream, cacheDir });
    expect(first).toEqual({ worktree: cacheDir, commit: firstCommit });
    expect(await readFile(join(cacheDir, 'guide.md'), 'utf8')).toBe('# Guide\n');

    await rm(join(upstream, 'old.md'));
    const secondCommit = await commitFile('new.md', '# New\n');
    await writeFile(join(cacheDir, 'stray.md'), 'left behind by someone');

    const second = await checkoutGitSource({ url: upstream, cacheDir });
    expect(second.commit).toBe(secondCommit);
    expect(second.commit).not.toBe(firstCommit);
    expect(await readFile(join(cacheDir, 'new.md'), 'utf8')).toBe('# New\n');
    expect(existsSync(join(cacheDir, 'old.md'))).toBe(false);
    expect(existsSync(join(cacheDir, 'stray.md'))).toBe(false);
    expect(await gitHeadCommit(cacheDir)).toBe(secondCommit);
  });

  it('checks out a named branch from a file:// URL', async () => {
    await commitFile('main.md', 'main');
    git('checkout', '--quiet', '-b', 'docs');
    const docsCommit = await commitFile('docs.md', 'docs');
    git('checkout', '--quiet', 'main');
    const cacheDir = join(workspace, 'cache', 'docs');

    const checkout = await checkoutGitSource({
      url: pathToFileURL(upstream).href,
      branch: 'docs',
      cacheDir,
    });
    expect(checkout.commit).toBe(docsCommit);
    expect(existsSync(join(cacheDir, 'docs.md'))).toBe(true);
  });

  it('re-clones when the source URL changes', async () => {
    await commitFile('a.md', 'a');
    const cacheDir = join(workspace, 'cache', 'moved');
    await checkoutGitSource({ url: upstream, cacheDir });

    const other = join(workspace, 'other');
    await mkdir(other);
    upstream = other;
    git('init', '--quiet', '--initial-branch=main');
    const otherCommit = await commitFile('b.md', 'b');

    expect((await checkoutGitSource({ url: other, cacheDir })).commit).toBe(otherCommit);
    expect(existsSync(join(cacheDir, 'a.md'))).toBe(false);
  });

  it('refuses to replace a folder that is not its own checkout', async () => {
    await commitFile('a.md', 'a');
    const cacheDir = join(workspace, 'precious');
    await mkdir(cacheDir);
    await writeFile(join(cacheDir, 'keep.txt'), 'mine');
    await expect(checkoutGitSource({ url: upstream, cacheDir })).rejects.toMatchObject({
      code: 'git_failed',
    });
    expect(await readFile(join(cacheDir, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('reports git failures with git’s message and no credentials', async () => {
    const missing = checkoutGitSource({
      url: join(workspace, 'nope'),
      cacheDir: join(workspace, 'c1'),
    });
    await expect(missing).rejects.toMatchObject({
      code: 'git_failed',
      message: expect.stringContaining('clone'),
    });

    const secretUrl = 'http://robot:hunter2@127.0.0.1:9/private.git';
    await expect(
      checkoutGitSource({ url: secretUrl, cacheDir: join(workspace, 'c2') }),
    ).rejects.toMatchObject({
      code: 'git_failed',
      message: expect.stringContaining('127.0.0.1'),
    });
    await expect(
      checkoutGitSource({ url: secretUrl, cacheDir: join(workspace, 'c2') }),
    ).rejects.toMatchObject({ message: expect.not.stringContaining('hunter2') });
    expect(existsSync(join(workspace, 'c2'))).toBe(false);
  });

  it('rejects dangerous URLs before running git', async () => {
    const marker = join(workspace, 'pwned');
    const dangerous = [
      `ext::sh -c touch% ${marker}`,
      'fd::17',
      '--upload-pack=touch /tmp/x',
      '-oProxyCommand=touch /tmp/x',
      'ssh://-oProxyCommand=touch%20x/repo',
      'git@-oProxyCommand=x:repo',
      'ftp://example.com/repo.git',
      'javascript://alert(1)',
      '',
    ];
    for (const url of dangerous) {
      await expect(
        checkoutGitSource({ url, cacheDir: join(workspace, 'c') }),
      ).rejects.toMatchObject({
        code: 'git_url_rejected',
        status: 400,
      });
    }
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(workspace, 'c'))).toBe(false);
  });

  it('accepts the ordinary transports, scp-style addresses and local paths', () => {
    for (const url of [
      'https://github.com/acme/kb.git',
      'http://git.internal/kb',
      'ssh://git@github.com/acme/kb.git',
      'git://example.org/kb.git',
      'file:///srv/git/kb.git',
      'git@github.com:acme/kb.git',
      '/srv/git/kb',
      './relative/kb',
    ]) {
      expect(() => assertSafeGitUrl(url)).not.toThrow();
    }
  });
});

describe('redactCredentials', () => {
  it('hides user, password and tokens in URLs', () => {
    expect(redactCredentials("fatal: 'https://bot:s3cret@host/kb.git' not found")).toBe(
      "fatal: 'https://***@host/kb.git' not found",
    );
    expect(redactCredentials('https://ghp_token@github.com/a/b')).toBe(
      'https://***@github.com/a/b',
    );
    expect(redactCredentials('git@github.com:acme/kb.git')).toBe('git@github.com:acme/kb.git');
  });
});
