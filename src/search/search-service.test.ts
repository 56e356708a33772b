import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnowledgeSync } from '../kb/sync.js';
import { SqliteStore } from '../store/sqlite.js';
import { createLogger } from '../telemetry/logger.js';
import { SearchService } from './search-service.js';

describe('search service', () => {
  let root: string;
  let store: SqliteStore;
  let search: SearchService;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'keel-search-'));
    const folder = join(root, 'docs');
    mkdirSync(folder);
    // A section too long for one chunk: the statement first, a long example after it.
    const example = Array.from(
      { length: 40 },
      (_, index) => `logger.info('request logging line ${index}')`,
    );
    writeFileSync(
      join(folder, 'server.md'),
      [
        '# Server',
        '',
        '## Request logging',
        '',
        'Set `disableRequestLogging: true` to turn off the default request logging.',
        '',
        '```js',
        ...example,
        '```',
        '',
        '## Timeouts',
        '',
        'Requests time out after 30 seconds.',
        '',
      ].join('\n'),
    );
    store = await SqliteStore.open(join(root, 'keel.db'));
    const sync = new KnowledgeSync(store, { dataDir: root, logger: createLogger('silent') });
    await sync.sync(await store.createSource({ name: 'docs', kind: 'folder', location: folder }));
    search = new SearchService(store);
  });
  afterEach(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('returns a section split over chunks once, as one passage from its heading on', async () => {
    const chunks = await store.documentChunks(
      (await store.findSourceByName('docs'))?.id ?? '',
      'server.md',
    );
    const parts = chunks.filter((chunk) => chunk.heading === 'Server > Request logging');
    expect(parts.length).toBeGreaterThan(1);

    const hits = await search.search('request logging', { k: 5 });
    const sections = hits.map((hit) => hit.chunk.heading);
    expect(sections.filter((heading) => heading === 'Server > Request logging')).toHaveLength(1);
    const [first] = hits;
    expect(first?.chunk.text).toContain('Set `disableRequestLogging: true`');
    expect(first?.chunk.text).toContain("request logging line 39')");
    expect(first?.chunk.text.match(/## Request logging/g)).toHaveLength(1);
    expect([first?.chunk.lineStart, first?.chunk.lineEnd]).toEqual([3, 48]);
  });
});
