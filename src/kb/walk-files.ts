import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { KeelError } from '../errors.js';

export interface WalkedFile {
  /** Relative to the root, with forward slashes: `guides/rollback.md`. */
  path: string;
  absolutePath: string;
  size: number;
  mtimeMs: number;
}

export interface WalkOptions {
  /** File extensions to yield (`.md` or `md`, any case). */
  include?: string[];
  /**
   * Paths to skip. A pattern without a slash matches a file or folder name anywhere
   * (`node_modules`, `*.draft.md`); one with a slash matches from the root (`drafts/**`,
   * `docs/old`). `*` stays within a name, `**` spans folders, `?` is one character.
   */
  exclude?: string[];
}

export type KnowledgeFormat = 'markdown' | 'json' | 'jsonl';

export const DEFAULT_INCLUDE = ['.md', '.markdown', '.json', '.jsonl'];
/** Never knowledge, wherever it appears; hidden entries (`.git`, `.github`, `.eslintrc.json`) neither. */
const ALWAYS_SKIPPED = new Set(['node_modules']);
const VANISHED = new Set(['ENOENT', 'ENOTDIR']);

interface Walk {
  root: string;
  realRoot: string;
  extensions: string[];
  isExcluded: (path: string) => boolean;
}

/**
 * Streams the files of a folder tree in sorted path order, one folder at a time: only the entries
 * of the folders on the current path are held, never the whole list, and no file is read.
 * Symlinked files are followed only when they resolve inside the root; symlinked folders never
 * (their target, inside the root, is walked anyway, and outside it is out of bounds).
 * A subfolder or file that vanishes mid-walk is skipped; if the root itself is gone the walk
 * throws `source_unavailable`, so a caller never mistakes a lost folder for deleted files.
 *
 * @example
 *   for await (const file of walkFiles('./knowledge', { exclude: ['drafts/**'] })) {
 *     console.log(file.path, file.size); // "guides/rollback.md" 1834
 *   }
 */
export async function* walkFiles(
  root: string,
  options: WalkOptions = {},
): AsyncGenerator<WalkedFile> {
  const absoluteRoot = resolve(root);
  const realRoot = await realpath(absoluteRoot).catch((error: unknown) => {
    throw sourceUnavailable(absoluteRoot, error);
  });
  const walk: Walk = {
    root: absoluteRoot,
    realRoot,
    extensions: (options.include ?? DEFAULT_INCLUDE).map(normalizeExtension).filter(Boolean),
    isExcluded: compileExcludes(options.exclude ?? []),
  };
  yield* walkFolder(walk, '');
}

/**
 * The knowledge format a file's extension stands for, or undefined when Keel cannot read it.
 *
 * @example
 *   formatForPath('faq/billing.JSONL'); // → 'jsonl'
 */
export function formatForPath(path: string): KnowledgeFormat | undefined {
  const extension = /\.[^./\\]+$/.exec(path.toLowerCase())?.[0];
  if (extension === '.md' || extension === '.markdown') return 'markdown';
  if (extension === '.json') return 'json';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  return undefined;
}

async function* walkFolder(walk: Walk, folder: string): AsyncGenerator<WalkedFile> {
  for (const entry of await sortedEntries(walk, folder)) {
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.name.startsWith('.') || ALWAYS_SKIPPED.has(entry.name) || walk.isExcluded(path)) {
      continue;
    }
    if (entry.isDirectory()) {
      yield* walkFolder(walk, path);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      const lowerPath = path.toLowerCase();
      if (!walk.extensions.some((extension) => lowerPath.endsWith(extension))) continue;
      const absolutePath = join(walk.root, path);
      const info = await fileInfo(walk, absolutePath, entry.isSymbolicLink());
      if (info) yield { path, absolutePath, ...info };
    }
  }
}

/**
 * A folder's entries ordered so that the walk yields paths in plain string order: a folder sorts
 * as its name plus "/", exactly where its files' paths fall among its siblings.
 */
async function sortedEntries(walk: Walk, folder: string): Promise<Dirent[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(walk.root, folder), { withFileTypes: true });
  } catch (error) {
    if (folder && isVanished(error) && (await rootExists(walk))) return [];
    throw sourceUnavailable(join(walk.root, folder), error);
  }
  const sortKey = (entry: Dirent) => (entry.isDirectory() ? `${entry.name}/` : entry.name);
  return entries.sort((left, right) => compareStrings(sortKey(left), sortKey(right)));
}

async function fileInfo(
  walk: Walk,
  absolutePath: string,
  isSymbolicLink: boolean,
): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    if (isSymbolicLink) {
      const target = await realpath(absolutePath);
      const inside = walk.realRoot.endsWith(sep) ? walk.realRoot : walk.realRoot + sep;
      if (!target.startsWith(inside)) return undefined;
    }
    const info = await stat(absolutePath);
    return info.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : undefined;
  } catch (error) {
    if (isVanished(error) && (await rootExists(walk))) return undefined;
    throw sourceUnavailable(absolutePath, error);
  }
}

async function rootExists(walk: Walk): Promise<boolean> {
  return stat(walk.root).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

function isVanished(error: unknown): boolean {
  return VANISHED.has((error as NodeJS.ErrnoException).code ?? '');
}

function sourceUnavailable(path: string, error: unknown): KeelError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new KeelError('source_unavailable', `Cannot read ${path} (${reason})`, 422, { path });
}

/** Code-unit order, the same on every machine and locale. */
function compareStrings(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

function normalizeExtension(extension: string): string {
  const bare = extension
    .trim()
    .toLowerCase()
    .replace(/^\*?\.?/, '');
  return bare ? `.${bare}` : '';
}

function compileExcludes(patterns: string[]): (path: string) => boolean {
  const matchers = patterns.map(patternMatcher).filter((matcher) => matcher !== undefined);
  return (path) => matchers.some((matches) => matches(path));
}

function patternMatcher(pattern: string): ((path: string) => boolean) | undefined {
  const trimmed = pattern.trim().replace(/\/+$/, '');
  if (!trimmed) return undefined;
  if (!trimmed.includes('/')) {
    // The walk never enters an excluded folder, so testing the last name covers every level.
    const name = new RegExp(`^${globToRegex(trimmed)}$`);
    return (path) => name.test(path.slice(path.lastIndexOf('/') + 1));
  }
  // `drafts/**` means the folder and all under it; matching the folder itself prunes the walk.
  const anchored = trimmed.replace(/^\.?\//, '').replace(/\/\*\*$/, '');
  const regex = new RegExp(`^${globToRegex(anchored)}(?:/.*)?$`);
  return (path) => regex.test(path);
}

function globToRegex(glob: string): string {
  let regex = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index] ?? '';
    if (glob.startsWith('**/', index)) {
      regex += '(?:.*/)?';
      index += 2;
    } else if (glob.startsWith('**', index)) {
      regex += '.*';
      index += 1;
    } else if (char === '*') regex += '[^/]*';
    else if (char === '?') regex += '[^/]';
    else regex += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return regex;
}
