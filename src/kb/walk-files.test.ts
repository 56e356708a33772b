import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatForPath, type WalkOptions, walkFiles } from './walk-files.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'keel-walk-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function createFiles(paths: string[], base = root): Promise<void> {
  for (const path of paths) {
    await mkdir(dirname(join(base, path)), { recursive: true });
    await writeFile(join(base, path), `content of ${path}`);
  }
}

async function walkedPaths(options?: WalkOptions): Promise<string[]> {
  const paths: string[] = [];
  for await (const file of walkFiles(root, options)) paths.push(file.path);
  return paths;
}

describe('walkFiles', () => {
  it('yields knowledge files in sorted path order with forward slashes, size and mtime', async () => {
    await createFiles([
      'b.md',
      'a.md',
      'a/z.json',
      'a-b/c.jsonl',
      'a/b/deep.markdown',
      'notes.txt',
    ]);
    // Plain string order of the whole path: "a-b/" < "a.md" < "a/", as `[].sort()` puts them.
    expect(await walkedPaths()).toEqual([
      'a-b/c.jsonl',
      'a.md',
      'a/b/deep.markdown',
      'a/z.json',
      'b.md',
    ]);

    const { value } = await walkFiles(root, { include: ['json'] }).next();
    expect(value).toEqual({
      path: 'a/z.json',
      absolutePath: join(root, 'a', 'z.json'),
      size: 'content of a/z.json'.length,
      mtimeMs: expect.any(Number),
    });
  });

  it('filters by extension, case-insensitively, with or without a dot', async () => {
    await createFiles(['one.md', 'TWO.MD', 'three.json', 'four.txt']);
    expect(await walkedPaths({ include: ['md'] })).toEqual(['TWO.MD', 'one.md']);
    expect(await walkedPaths({ include: ['.txt', '*.json'] })).toEqual(['four.txt', 'three.json']);
  });

  it('skips excluded names anywhere and excluded paths from the root', async () => {
    await createFiles([
      'guide.md',
      'guide.draft.md',
      'drafts/idea.md',
      'docs/drafts/kept-only-by-anchored.md',
      'docs/old/legacy.md',
      'vendor/lib.md',
    ]);
    const walked = await walkedPaths({
      exclude: ['drafts/**', '*.draft.md', 'docs/old', 'vendor/'],
    });
    expect(walked).toEqual(['docs/drafts/kept-only-by-anchored.md', 'guide.md']);
    expect(await walkedPaths({ exclude: ['**/drafts'] })).not.toContain(
      'docs/drafts/kept-only-by-anchored.md',
    );
  });

  it('skips hidden folders and files and node_modules without being told', async () => {
    await createFiles([
      '.git/HEAD.md',
      '.github/workflows.json',
      '.eslintrc.json',
      'node_modules/x/readme.md',
      'ok.md',
    ]);
    expect(await walkedPaths()).toEqual(['ok.md']);
  });

  it('follows symlinked files inside the root but nothing that leads out of it', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'keel-outside-'));
    try {
      await createFiles(['secret.md', 'folder/inner.md'], outside);
      await createFiles(['real/page.md']);
      await symlink(join(root, 'real', 'page.md'), join(root, 'alias.md'));
      await symlink(join(outside, 'secret.md'), join(root, 'leak.md'));
      await symlink(join(outside, 'folder'), join(root, 'linked-folder'));
      expect(await walkedPaths()).toEqual(['alias.md', 'real/page.md']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('throws source_unavailable when the root does not exist', async () => {
    const walk = walkFiles(join(root, 'missing'));
    await expect(walk.next()).rejects.toMatchObject({ code: 'source_unavailable' });
  });

  it('skips a subfolder that vanishes mid-walk but fails if the root itself vanishes', async () => {
    await createFiles(['a/one.md', 'b/two.md', 'c/three.md']);
    const survivors: string[] = [];
    for await (const file of walkFiles(root)) {
      survivors.push(file.path);
      if (file.path === 'a/one.md') await rm(join(root, 'b'), { recursive: true });
    }
    expect(survivors).toEqual(['a/one.md', 'c/three.md']);

    const walk = walkFiles(root);
    expect((await walk.next()).value?.path).toBe('a/one.md');
    await rm(root, { recursive: true });
    await expect(walk.next()).rejects.toMatchObject({ code: 'source_unavailable' });
  });

  it('streams a 5,000-file tree folder by folder instead of listing it up front', async () => {
    const paths = Array.from({ length: 5000 }, (_, index) => {
      const folder = `part-${String(index % 50).padStart(2, '0')}`;
      return `${folder}/doc-${String(index).padStart(4, '0')}.md`;
    });
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        mkdir(join(root, `part-${String(index).padStart(2, '0')}`), { recursive: true }),
      ),
    );
    await Promise.all(paths.map((path) => writeFile(join(root, path), 'x')));

    const walk = walkFiles(root);
    const first = await walk.next();
    expect(first.value?.path).toBe('part-00/doc-0000.md');
    // A file created after the walk began, in a folder not yet reached, is still seen: the walk
    // reads each folder only when it gets there.
    await writeFile(join(root, 'part-49', 'late.md'), 'x');
    let count = 1;
    let sawLate = false;
    for await (const file of walk) {
      count += 1;
      sawLate ||= file.path === 'part-49/late.md';
    }
    expect(count).toBe(5001);
    expect(sawLate).toBe(true);
  });
});

describe('formatForPath', () => {
  it('maps extensions to the formats Keel reads', () => {
    expect(formatForPath('guide.md')).toBe('markdown');
    expect(formatForPath('docs/Guide.MARKDOWN')).toBe('markdown');
    expect(formatForPath('faq.json')).toBe('json');
    expect(formatForPath('faq/billing.JSONL')).toBe('jsonl');
    expect(formatForPath('notes.txt')).toBeUndefined();
    expect(formatForPath('md')).toBeUndefined();
  });
});
