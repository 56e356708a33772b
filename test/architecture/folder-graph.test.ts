import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycleEdges, describeGraph, folderGraph } from '../../scripts/folder-graph.js';

const sourceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'keel-graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('src/ folder graph', () => {
  it('has no folder that imports, directly or through others, a folder that imports it', () => {
    const graph = folderGraph(sourceRoot);
    expect(cycleEdges(graph), describeGraph(graph)).toEqual([]);
  });

  it('keeps domain folders off the entry points', () => {
    const graph = folderGraph(sourceRoot);
    for (const domain of ['kb', 'search', 'governor', 'jobs', 'store', 'providers']) {
      expect([...(graph.get(domain) ?? [])]).not.toContain('api');
      expect([...(graph.get(domain) ?? [])]).not.toContain('cli');
      expect([...(graph.get(domain) ?? [])]).not.toContain('keel');
    }
  });

  it('finds a cycle through a third folder, including type-only and dynamic imports', () => {
    const root = tree({
      'a/one.ts': "import type { B } from '../b/two.js';\nexport type A = B;\n",
      'b/two.ts': "export type B = number;\nexport const load = () => import('../c/three.js');\n",
      'c/three.ts': "export { one } from '../a/one.js';\n",
      'c/three.test.ts': "import '../d/four.js';\n",
      'd/four.ts': "import '../c/three.js';\n",
    });
    expect(cycleEdges(folderGraph(root))).toEqual(['a -> b', 'b -> c', 'c -> a']);
  });

  it('counts files directly in src/ as nodes of their own and ignores imports within a folder', () => {
    const root = tree({
      'keel.ts': "import { x } from './a/one.js';\n",
      'a/one.ts': "import { y } from './two.js';\nexport const x = y;\n",
      'a/two.ts': "import '../errors.js';\nexport const y = 1;\n",
      'errors.ts': 'export {};\n',
    });
    expect(describeGraph(folderGraph(root))).toBe('a -> errors\nkeel -> a');
    expect(cycleEdges(folderGraph(root))).toEqual([]);
  });
});
