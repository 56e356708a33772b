// The src/ folder import graph: which top-level folder imports which, counted from relative
// imports in non-test source files. `node bin/run-ts.js scripts/folder-graph.ts` prints the edges
// and every folder pair that lies on a cycle; test/architecture/folder-graph.test.ts fails on any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const importPattern = /(?:^|\s)(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
const dynamicImportPattern = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const bareImportPattern = /^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

/** A file directly in src/ (keel.ts, errors.ts) is a node of its own, named without extension. */
function folderOf(sourceRoot: string, file: string): string {
  const parts = relative(sourceRoot, file).split(sep);
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.(js|tsx?)$/, '');
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Edges `from -> Set<to>` between src/ folders (self-imports left out). */
export function folderGraph(sourceRoot: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(sourceRoot)) {
    const from = folderOf(sourceRoot, file);
    const text = readFileSync(file, 'utf8');
    const targets = [importPattern, dynamicImportPattern, bareImportPattern].flatMap((pattern) => [
      ...text.matchAll(pattern),
    ]);
    for (const match of targets) {
      const to = folderOf(sourceRoot, resolve(dirname(file), match[1]!));
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

function reachable(graph: Map<string, Set<string>>, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.get(start) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(graph.get(next) ?? []));
  }
  return seen;
}

/** Every edge `a -> b` whose target can reach back to `a`: the folder pairs that lie on a cycle. */
export function cycleEdges(graph: Map<string, Set<string>>): string[] {
  const edges: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (reachable(graph, to).has(from)) edges.push(`${from} -> ${to}`);
    }
  }
  return edges.sort();
}

export function describeGraph(graph: Map<string, Set<string>>): string {
  return [...graph.keys()]
    .sort()
    .map((from) => `${from} -> ${[...graph.get(from)!].sort().join(', ')}`)
    .join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const graph = folderGraph(root);
  const cycles = cycleEdges(graph);
  console.log(describeGraph(graph));
  console.log(`\n${cycles.length} folder edges on a cycle${cycles.length ? ':' : ''}`);
  for (const edge of cycles) console.log(`  ${edge}`);
}
