import { type ExecFileException, execFile } from 'node:child_process';
import { isIP } from 'node:net';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ForbiddenError } from '../auth/errors.js';
import { UpstreamError, ValidationError } from '../errors.js';
import type { OutboundGuard } from '../net/outbound-guard.js';

export interface GitSourceOptions {
  /** `https://`, `http://`, `ssh://`, `git://`, `file://`, scp-style `git@host:repo`, or a local path. */
  url: string;
  /** Defaults to the remote's default branch. */
  branch?: string;
  /** The checkout lives here; it is Keel's own cache, replaced when it no longer matches `url`. */
  cacheDir: string;
  /** For an http(s) `url` (which then carries none): sent as a Basic `Authorization` header. */
  credential?: GitCredential;
  /** Checks an http(s) `url`'s address and pins git to it, with redirects off. */
  outbound?: OutboundGuard;
}

/** What git authenticates with over http(s), kept apart from the URL. */
export interface GitCredential {
  username: string;
  password: string;
}

export interface GitCheckout {
  worktree: string;
  commit: string;
}

const ALLOWED_SCHEMES = new Set(['https', 'http', 'ssh', 'git', 'file']);
const NETWORK_TIMEOUT_MS = 120_000;
const LOCAL_TIMEOUT_MS = 60_000;
const MAX_STDERR_CHARS = 600;

/**
 * Brings a shallow checkout of a git repository's branch head into `cacheDir`: a `--depth 1`
 * single-branch clone the first time, then fetch and hard reset (and clean) on later calls, so the
 * worktree holds exactly the remote commit. Git runs without a shell, never prompts, and may only
 * use the allowed transports; failures are `UpstreamError('git_failed')` with git's own message,
 * credentials in URLs redacted.
 *
 * @example
 *   const { worktree, commit } = await checkoutGitSource({
 *     url: 'https://github.com/acme/handbook.git',
 *     branch: 'main',
 *     cacheDir: './data/git/handbook',
 *   });
 */
export async function checkoutGitSource(options: GitSourceOptions): Promise<GitCheckout> {
  assertSafeGitUrl(options.url);
  const trimmed = options.url.trim();
  // A relative path would mean something else once git runs inside the checkout.
  const pinned = await pinnedAddress(trimmed, options.outbound);
  const url = pinned?.url ?? (isLocalPath(trimmed) ? resolve(trimmed) : trimmed);
  const branch = options.branch === undefined ? undefined : validateBranch(options.branch);
  const worktree = resolve(options.cacheDir);
  const network = {
    timeout: NETWORK_TIMEOUT_MS,
    config: { ...pinned?.config, ...authConfig(url, options.credential) },
  };
  if (await isCheckoutOf(worktree, url)) {
    // Fetching the remote's HEAD follows its default branch when none is configured.
    const ref = branch ? `refs/heads/${branch}` : 'HEAD';
    await runGit(['fetch', '--quiet', '--depth', '1', '--no-tags', 'origin', ref], {
      ...network,
      cwd: worktree,
    });
    await runGit(['reset', '--hard', '--quiet', 'FETCH_HEAD'], { cwd: worktree });
    await runGit(['clean', '-ffdxq'], { cwd: worktree });
  } else {
    await cloneInto(worktree, url, branch, network);
  }
  return { worktree, commit: await gitHeadCommit(worktree) };
}

/**
 * The commit checked out in `dir`, as a full sha.
 *
 * @example
 *   await gitHeadCommit('./data/git/handbook'); // → '3f1c…' (40 hex digits)
 */
export async function gitHeadCommit(dir: string): Promise<string> {
  return (await runGit(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: dir })).trim();
}

/**
 * Throws a ValidationError for a git location that could make git run a command: option-like
 * arguments, `ext::` and other `transport::` helpers, schemes other than https/http/ssh/git/file,
 * and hosts starting with `-`. Local paths and scp-style `git@host:repo` pass.
 *
 * @example
 *   assertSafeGitUrl('https://github.com/acme/handbook.git'); // passes
 *   assertSafeGitUrl('ext::sh -c touch% /tmp/pwned'); // throws ValidationError('git_url_rejected')
 */
export function assertSafeGitUrl(location: string): void {
  const url = location.trim();
  const reject = (reason: string) =>
    new ValidationError('git_url_rejected', `Git URL ${redactCredentials(url)} ${reason}`, {
      url: redactCredentials(url),
    });
  if (!url || url.startsWith('-') || /[\0\r\n]/.test(url)) throw reject('is not a valid location');
  if (/^[a-z][a-z0-9+.-]*::/i.test(url))
    throw reject('uses a transport helper, which is not allowed');
  const scheme = urlScheme(url);
  if (scheme && !ALLOWED_SCHEMES.has(scheme))
    throw reject(`uses "${scheme}", which is not allowed`);
  const host = scheme ? /^[^:]+:\/\/(?:[^@/]*@)?(.*)$/.exec(url)?.[1] : scpHost(url);
  // ssh reads a host that starts with "-" as an option (CVE-2017-1000117).
  if (host?.startsWith('-')) throw reject('has a host starting with "-"');
}

function urlScheme(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
}

function isLocalPath(url: string): boolean {
  return urlScheme(url) === undefined && scpHost(url) === undefined;
}

/** For `[user@]host:path` (git's scp syntax: a colon before any slash), the host part. */
function scpHost(url: string): string | undefined {
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  if (colon <= 0 || (slash >= 0 && slash < colon)) return undefined;
  return url.slice(0, colon).replace(/^[^@]*@/, '');
}

function validateBranch(branch: string): string {
  const name = branch.trim();
  if (!/^[\w./-]+$/.test(name) || name.startsWith('-') || name.includes('..')) {
    throw new ValidationError('git_branch_invalid', `"${branch}" is not a valid branch name`);
  }
  return name;
}

/**
 * Replaces `user:password@` (or a bare token) in URLs so credentials never reach a message or log.
 *
 * @example
 *   redactCredentials('https://bot:s3cret@git.example.com/kb.git'); // → 'https://***@git.example.com/kb.git'
 */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

/**
 * The location as it may be shown (API, web, CLI, logs): a URL's `user:password@` removed.
 *
 * @example
 *   withoutCredentials('https://bot:s3cret@git.example.com/kb.git'); // → 'https://git.example.com/kb.git'
 */
export function withoutCredentials(location: string): string {
  return location.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i, '$1');
}

async function isCheckoutOf(worktree: string, url: string): Promise<boolean> {
  // Checked first so `git config` cannot fall through to a repository the folder sits inside.
  if (!(await exists(join(worktree, '.git')))) return false;
  const origin = await runGit(['config', '--get', 'remote.origin.url'], { cwd: worktree }).catch(
    () => '',
  );
  return origin.trim() === url;
}

/** Clones beside the target and renames into place, so an interrupted clone leaves no half checkout. */
async function cloneInto(
  worktree: string,
  url: string,
  branch: string | undefined,
  network: GitRun,
) {
  await removeStaleCheckout(worktree);
  await mkdir(dirname(worktree), { recursive: true });
  const partial = `${worktree}.partial-${process.pid}-${Date.now()}`;
  const branchArgs = branch ? ['--branch', branch] : [];
  try {
    const args = [
      'clone',
      '--quiet',
      '--depth',
      '1',
      '--single-branch',
      '--no-tags',
      ...branchArgs,
    ];
    await runGit([...args, '--', url, partial], network);
    await rename(partial, worktree);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** Removes an earlier checkout (of another URL, or broken) but never a folder Keel did not make. */
async function removeStaleCheckout(worktree: string): Promise<void> {
  if (!(await exists(worktree))) return;
  const isOwnCheckout = await exists(join(worktree, '.git'));
  const isEmpty = !isOwnCheckout && (await readdir(worktree)).length === 0;
  if (!isOwnCheckout && !isEmpty) {
    throw new UpstreamError(
      'git_failed',
      `${worktree} exists and is not a git checkout; refusing to replace it`,
      { worktree },
      false,
    );
  }
  await rm(worktree, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * For an http(s) URL and a guard: the canonical URL, and git settings that make curl connect to
 * the address the guard checked (`http.curloptResolve`) and follow no redirect, so neither a
 * second DNS answer nor a redirect can lead git elsewhere.
 */
async function pinnedAddress(
  location: string,
  outbound: OutboundGuard | undefined,
): Promise<{ url: string; config: Record<string, string> } | undefined> {
  if (!outbound || !/^https?:\/\//i.test(location)) return undefined;
  const target = await outbound.resolve(location);
  const address = isIP(target.address) === 6 ? `[${target.address}]` : target.address;
  const host = target.url.hostname;
  return {
    url: target.url.href,
    config: {
      'http.curloptResolve': `${host}:${target.port}:${address}`,
      'http.followRedirects': 'false',
    },
  };
}

/** Settings of one git run: `config` goes in through the environment, never the command line. */
interface GitRun {
  cwd?: string;
  timeout?: number;
  config?: Record<string, string>;
}

/**
 * The credential as an `http.<url>.extraHeader`: scoped to the repository's URL, and handed over
 * in GIT_CONFIG_* variables so it is neither on the command line (which `ps` shows to every
 * user) nor in the URL git echoes in its messages and keeps in `.git/config`.
 */
function authConfig(url: string, credential: GitCredential | undefined): Record<string, string> {
  if (!credential) return {};
  const basic = Buffer.from(`${credential.username}:${credential.password}`).toString('base64');
  return { [`http.${url}.extraHeader`]: `Authorization: Basic ${basic}` };
}

function gitEnvironment(config: Record<string, string>): NodeJS.ProcessEnv {
  // Appended after any GIT_CONFIG_* entries the operator set for git (a proxy, say).
  const first = Number.parseInt(process.env.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  const entries = Object.entries(config);
  return {
    ...process.env,
    GIT_CONFIG_COUNT: String(first + entries.length),
    ...Object.fromEntries(
      entries.flatMap(([key, value], index) => [
        [`GIT_CONFIG_KEY_${first + index}`, key],
        [`GIT_CONFIG_VALUE_${first + index}`, value],
      ]),
    ),
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    // A second guard: even a submodule or a redirect cannot reach ext:: or fd::.
    GIT_ALLOW_PROTOCOL: [...ALLOWED_SCHEMES].join(':'),
    // Without a terminal, an ssh password prompt would otherwise hang until the timeout.
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
  };
}

function runGit(args: string[], run: GitRun = {}): Promise<string> {
  const timeout = run.timeout ?? LOCAL_TIMEOUT_MS;
  const env = gitEnvironment(run.config ?? {});
  const options = { cwd: run.cwd, timeout, env, maxBuffer: 4 * 1024 * 1024 };
  return new Promise((resolveOutput, reject) => {
    execFile('git', args, options, (error, stdout, stderr) => {
      if (error) reject(gitFailure(args[0] ?? 'git', error, String(stderr), timeout));
      else resolveOutput(String(stdout));
    });
  });
}

function gitFailure(
  command: string,
  error: ExecFileException,
  stderr: string,
  timeoutMs: number,
): UpstreamError {
  if (error.code === 'ENOENT') {
    return new UpstreamError('git_failed', 'git is not installed or not on the PATH', {}, false);
  }
  if (error.killed) {
    const seconds = Math.round(timeoutMs / 1000);
    return new UpstreamError('git_failed', `git ${command} timed out after ${seconds}s`, {
      command,
    });
  }
  const output = redactCredentials(stderr.trim() || error.message).trim();
  const trimmed = output.length > MAX_STDERR_CHARS ? `…${output.slice(-MAX_STDERR_CHARS)}` : output;
  return new UpstreamError('git_failed', `git ${command} failed: ${trimmed}`, { command });
}

/** A path or `file://` URL on this machine rather than a remote repository. */
export function isLocalGitLocation(location: string): boolean {
  if (/^file:/i.test(location)) return true;
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(location) || /^[^/\\]+@[^:]+:/.test(location);
  return !isUrl;
}

/**
 * For callers who are not admins: the repository must be an `https://` URL (no local path, no
 * other transport). Whether its address is public is the outbound guard's decision, for everyone.
 */
export function assertPublicGitUrl(location: string): void {
  if (!/^https:\/\//i.test(location.trim())) {
    throw new ForbiddenError(
      'git_url_not_public',
      'Only an admin may add a repository that is not an https:// URL',
      { location: redactCredentials(location) },
    );
  }
}
