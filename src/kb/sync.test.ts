import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SearchService } from '../search/search-service.js';
import { SqliteStore } from '../store/sqlite.js';
import { createLogger } from '../telemetry/logger.js';
import { addSource } from './sources.js';
import { KnowledgeSync } from './sync.js';

describe('knowledge sync', () => {
  let root: string;
  let folder: string;
  let store: SqliteStore;
  let sync: KnowledgeSync;
  let search: SearchService;

  const write = (path: string, content: string) => {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), content);
  };
  const paths = async (query: string) =>
    (await search.search(query, { k: 10 })).map((hit) => hit.chunk.path);

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'keel-sync-'));
    folder = join(root, 'kb');
    mkdirSync(folder);
    store = await SqliteStore.open(join(root, 'keel.db'));
    sync = new KnowledgeSync(store, { dataDir: root, logger: createLogger('silent') });
    search = new SearchService(store);
    write(
      'guide.md',
      '# Guide\n\nIntro text.\n\n## Rolling back\n\nRun the rollback command to restore the previous version.\n',
    );
    write('faq/items.jsonl', '{"id":"1","title":"Quotas","body":"Quotas limit tokens per day."}\n');
  });
  afterEach(() => store.close());

  it('ingests Markdown and JSONL with heading paths and line ranges, then skips unchanged files', async () => {
    const source = await store.createSource({
      name: 'kb',
      kind: 'folder',
      location: folder,
      config: { fields: { text: 'body' } },
    });
    const first = await sync.sync(source);
    expect(first).toMatchObject({ status: 'ok', added: 2, updated: 0, removed: 0, documents: 2 });
    const [hit] = await search.search('rollback previous version', { k: 1 });
    // The first subsection's passage starts with its parent's text above it, from line 1.
    expect(hit?.chunk).toMatchObject({
      path: 'guide.md',
      heading: 'Guide > Rolling back',
      lineStart: 1,
      lineEnd: 7,
      version: first.version,
    });
    expect(await paths('quotas tokens')).toEqual(['faq/items.jsonl']);

    const second = await sync.sync((await store.getSource(source.id))!);
    expect(second).toMatchObject({
      status: 'ok',
      added: 0,
      updated: 0,
      unchanged: 2,
      version: first.version,
    });
  });

  it('re-chunks changed files, removes deleted ones, and gives a new version', async () => {
    const source = await store.createSource({
      name: 'kb',
      kind: 'folder',
      location: folder,
      config: { fields: { text: 'body' } },
    });
    const first = await sync.sync(source);
    write('guide.md', '# Guide\n\n## Canary rollout\n\nShift traffic gradually.\n');
    rmSync(join(folder, 'faq/items.jsonl'));
    const second = await sync.sync((await store.getSource(source.id))!);
    expect(second).toMatchObject({ updated: 1, removed: 1, documents: 1 });
    expect(second.version).not.toBe(first.version);
    expect(await paths('rollback')).toEqual([]);
    expect(await paths('canary traffic')).toEqual(['guide.md']);
    expect((await store.listKnowledgeVersions(source.id)).map((entry) => entry.version)).toEqual([
      second.version,
      first.version,
    ]);
  });

  it('records a broken file as an error naming it and keeps its previous chunks', async () => {
    const source = await store.createSource({
      name: 'kb',
      kind: 'folder',
      location: folder,
      config: { fields: { text: 'body' } },
    });
    write('data.json', '[{"title":"Refunds","body":"Refunds take five days."}]');
    await sync.sync(source);
    write('data.json', '[{"title":"Refunds", "body": ');
    write('no-text.jsonl', '{"title":"Missing"}\n');
    const report = await sync.sync((await store.getSource(source.id))!);
    expect(report.status).toBe('partial');
    expect(report.errors.map((error) => error.path).sort()).toEqual(['data.json', 'no-text.jsonl']);
    expect(await paths('refunds')).toEqual(['data.json']);
    expect((await store.sourceStats(source.id)).errors).toHaveLength(2);
    expect((await store.getSource(source.id))?.lastSyncStatus).toBe('partial');
  });

  it('a source folder that vanishes deletes nothing and says so', async () => {
    const source = await store.createSource({
      name: 'kb',
      kind: 'folder',
      location: folder,
      config: { fields: { text: 'body' } },
    });
    await sync.sync(source);
    renameSync(folder, `${folder}-moved`);
    const report = await sync.sync((await store.getSource(source.id))!);
    expect(report.status).toBe('failed');
    expect(report.message).toContain('does not exist');
    expect(report.documents).toBe(2);
    expect(await paths('rollback')).toEqual(['guide.md']);
  });

  it('a folder that vanishes mid-sync deletes nothing of what was ingested', async () => {
    for (let index = 0; index < 600; index += 1)
      write(`bulk/${index}.md`, `# Note ${index}\n\nZebra fact ${index}.\n`);
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    await sync.sync(source);
    for (let index = 0; index < 600; index += 1)
      write(`bulk/${index}.md`, `# Note ${index}\n\nYak fact ${index}.\n`);
    let moved = false;
    const report = await sync.sync((await store.getSource(source.id))!, () => {
      if (!moved) renameSync(folder, `${folder}-gone`);
      moved = true;
    });
    expect(moved).toBe(true);
    expect(report.status).toBe('failed');
    expect(report.documents).toBe(601); // 600 notes + guide.md (items.jsonl has no text field here)
    expect(await paths('rollback')).toEqual(['guide.md']);
  });

  it('skips files whose size and modification time are unchanged, without reading them', async () => {
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    const file = join(folder, 'guide.md');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    await sync.sync(source);
    // Same size, same mtime, different bytes: only a skip that never reads the file misses this.
    writeFileSync(file, readFileSync(file, 'utf8').replace('Intro', 'Outro'));
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(await sync.sync((await store.getSource(source.id))!)).toMatchObject({
      unchanged: 1,
      updated: 0,
    });
    // A touched file with the same content is read, found unchanged, and its new stats kept.
    writeFileSync(join(folder, 'extra.md'), '# Extra\n\nSome text.\n');
    await sync.sync((await store.getSource(source.id))!);
    utimesSync(join(folder, 'extra.md'), new Date(), new Date(Date.now() + 5000));
    expect(await sync.sync((await store.getSource(source.id))!)).toMatchObject({
      unchanged: 2,
      updated: 0,
    });
    const stored = (await store.documentHashes(source.id)).get('extra.md');
    expect(stored?.mtimeMs).toBe(statSync(join(folder, 'extra.md')).mtimeMs);
  });

  it('reports the errors of a partly broken file on every sync, not just the first', async () => {
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    write('mixed.jsonl', '{"title":"Good","text":"A fine record."}\nnot json\n');
    const mixedErrors = async () =>
      (await sync.sync((await store.getSource(source.id))!)).errors.filter(
        (error) => error.path === 'mixed.jsonl',
      );
    expect(await mixedErrors()).toEqual([
      { path: 'mixed.jsonl', message: expect.stringContaining('line 2') },
    ]);
    expect(await mixedErrors()).toHaveLength(1);
    expect(await paths('fine record')).toEqual(['mixed.jsonl']);
  });

  it('refuses a second sync of the same source while one runs', async () => {
    const source = await store.createSource({ name: 'kb', kind: 'folder', location: folder });
    const running = sync.sync(source);
    await expect(sync.sync(source)).rejects.toMatchObject({ code: 'sync_in_progress' });
    await running;
  });

  it('versions a git source by its commit sha', async () => {
    const repo = join(root, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'notes.md'), '# Notes\n\nPgvector uses HNSW indexes.\n');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
    const source = await store.createSource({
      name: 'repo',
      kind: 'git',
      location: repo,
      config: { branch: 'main' },
    });
    const report = await sync.sync(source);
    expect(report).toMatchObject({ status: 'ok', added: 1, version: git('rev-parse', 'HEAD') });
    const [hit] = await search.search('hnsw', { k: 1 });
    expect(hit?.chunk.version).toBe(git('rev-parse', 'HEAD'));
  });

  it('takes a file:// URL as the local repository it names, whatever the working directory', async () => {
    const repo = join(root, 'url repo');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'notes.md'), '# Notes\n\nPgvector uses HNSW indexes.\n');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    const input = { name: 'by-url', kind: 'git' as const, location: pathToFileURL(repo).href };
    const source = await addSource(store, input, undefined, elsewhere);
    expect(source.location).toBe(repo);
    const report = await sync.sync(source);
    expect(report).toMatchObject({ status: 'ok', added: 1, version: git('rev-parse', 'HEAD') });
  });

  it('refuses a file:// URL that names another host, with a 4xx', async () => {
    const input = {
      name: 'remote-file',
      kind: 'git' as const,
      location: 'file://fileserver/srv/kb.git',
    };
    await expect(addSource(store, input, undefined, root)).rejects.toMatchObject({
      code: 'source_location_invalid',
      status: 400,
    });
  });
});
