import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/*
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and says where the CPU went, by piece of Keel:
 * each sample's time goes to the first piece found walking from the running function up its
 * callers, so native work (SQLite inside better-sqlite3, JSON.stringify) counts for the code
 * that asked for it. Functions of the compiled bundle (`dist/`, as `keel serve` runs) are
 * traced back to their source file through the bundle's source maps.
 */

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({
        functionName: z.string(),
        url: z.string(),
        lineNumber: z.number(),
        columnNumber: z.number(),
      }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

/** Pieces in the order they are tried on a file path: the first match wins. */
const PIECES: [piece: string, pattern: RegExp][] = [
  // The profiler's own calls from the benchmark script (starting and stopping it), not Keel's.
  ['benchmark harness', /\/bench\//],
  ['database', /\/src\/store\/|node_modules\/(kysely|better-sqlite3|pg|pg-protocol|pg-pool)\//],
  ['retrieval', /\/src\/(search|kb)\/|\/governor\/steps\/retrieval/],
  ['audit', /\/governor\/steps\/audit|\/store\/audit-chain/],
  [
    'governor: input checks',
    /\/governor\/(steps\/(input-size|pii|prompt-injection|topic-rules)|detectors)/,
  ],
  ['governor: output checks', /\/governor\/(steps\/output-validation|grounding)/],
  ['governor: generation', /\/governor\/steps\/(generation|answer-cache)|\/src\/providers\//],
  ['governor: other', /\/src\/governor\//],
  ['limits and auth', /\/src\/(limits|auth)\//],
  ['HTTP: Keel routes', /\/src\/(api|orchestrator)\//],
  [
    'HTTP: Fastify',
    /node_modules\/(fastify|@fastify|find-my-way|fast-json-stringify|light-my-request|avvio|fastify-type-provider-zod)/,
  ],
  ['HTTP: undici (outgoing)', /node_modules\/undici\//],
  ['validation (zod)', /node_modules\/zod\//],
  ['logging', /node_modules\/(pino|thread-stream|sonic-boom)|\/src\/telemetry\//],
  ['cache and Redis', /\/src\/(cache|redis|events)\/|node_modules\/(ioredis|@ioredis)/],
  ['metrics', /node_modules\/prom-client/],
  ['Node: HTTP and sockets', /^node:(_http|http|net|stream|internal\/(http|stream|streams|net))/],
  ['Node: other', /^node:/],
];

function pieceOf(url: string): string | undefined {
  if (!url) return undefined;
  for (const [piece, pattern] of PIECES) if (pattern.test(url)) return piece;
  return 'other';
}

/** The source file a bundled function came from, via `FILE.map` beside the bundle file. */
function sourceFileOf(): (frame: {
  url: string;
  lineNumber: number;
  columnNumber: number;
}) => string {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      const file = `${fileURLToPath(url)}.map`;
      maps.set(
        url,
        existsSync(file)
          ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as never)
          : undefined,
      );
    }
    return maps.get(url);
  };
  return (frame) => {
    if (!frame.url.startsWith('file://') || !frame.url.includes('/dist/')) return frame.url;
    const entry = mapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
    return entry && 'originalSource' in entry ? entry.originalSource : frame.url;
  };
}

export interface ProfileSummary {
  /** Busy CPU ms in the profile (idle excluded). */
  busyMs: number;
  /** ms and share per piece, largest first. */
  pieces: { piece: string; ms: number; share: number }[];
}

export async function summarizeProfile(file: string): Promise<ProfileSummary> {
  const profile = profileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const sourceFile = sourceFileOf();
  const pieceCache = new Map<number, string>();
  const resolvePiece = (id: number): string => {
    const cached = pieceCache.get(id);
    if (cached) return cached;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    let piece: string;
    if (name === '(idle)') piece = 'idle';
    else if (name === '(garbage collector)') piece = 'garbage collection';
    else if (name === '(program)') piece = 'V8 and native (unattributed)';
    else {
      const own = pieceOf(sourceFile(node.callFrame));
      const up = parent.get(id);
      piece =
        own && own !== 'other' && own !== 'Node: other'
          ? own
          : up === undefined
            ? (own ?? 'other')
            : resolveAncestor(up, own);
    }
    pieceCache.set(id, piece);
    return piece;
  };
  // Node internals and unknown files take the piece of the nearest caller that has one.
  const resolveAncestor = (up: number, own: string | undefined): string => {
    const above = resolvePiece(up);
    return above === 'other' || above === 'idle' ? (own ?? 'other') : above;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const piece = resolvePiece(id);
    totals.set(piece, (totals.get(piece) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  totals.delete('idle');
  const busyMs = [...totals.values()].reduce((sum, ms) => sum + ms, 0);
  const pieces = [...totals.entries()]
    .map(([piece, ms]) => ({
      piece,
      ms: Math.round(ms),
      share: Math.round((ms / busyMs) * 1000) / 1000,
    }))
    .sort((left, right) => right.ms - left.ms);
  return { busyMs: Math.round(busyMs), pieces };
}
