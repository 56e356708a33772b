import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The SciFact set from BEIR: `corpus.jsonl`, `queries.jsonl`, `qrels.tsv` in one folder. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface Query {
  id: string;
  text: string;
}

/** query id → (document id → graded relevance). */
export type Qrels = Map<string, Map<string, number>>;

const CorpusLine = z.object({ _id: z.string(), title: z.string().default(''), text: z.string() });
const QueryLine = z.object({ _id: z.string(), text: z.string() });
// Ids become file names; SciFact's are numeric, anything else is refused rather than escaped.
const SAFE_ID = /^[A-Za-z0-9._-]+$/;

/** `--data DIR`, else `KEEL_BENCH_SCIFACT`, else `<repo>/../shared/data/scifact`. */
export function scifactDir(argv = process.argv, env = process.env): string {
  const flag = argv.indexOf('--data');
  const given = flag >= 0 ? argv[flag + 1] : env.KEEL_BENCH_SCIFACT;
  return resolve(given ?? join(repoRoot, '..', 'shared', 'data', 'scifact'));
}

async function* jsonLines(path: string): AsyncGenerator<{ line: number; value: unknown }> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim().length === 0) continue;
    yield { line, value: JSON.parse(text) as unknown };
  }
}

/**
 * Streams `corpus.jsonl` into `<_id>.md` files (`# title`, blank line, abstract), one document
 * in memory at a time. Returns how many files were written.
 */
export async function writeCorpusMarkdown(dataDir: string, outDir: string): Promise<number> {
  const path = join(dataDir, 'corpus.jsonl');
  let written = 0;
  for await (const { line, value } of jsonLines(path)) {
    const document = CorpusLine.parse(value);
    if (!SAFE_ID.test(document._id))
      throw new Error(`${path}:${line}: unsafe _id "${document._id}"`);
    await writeFile(join(outDir, `${document._id}.md`), markdownFor(document));
    written += 1;
  }
  return written;
}

export function markdownFor(document: { title: string; text: string }): string {
  return `# ${document.title}\n\n${document.text}\n`;
}

export async function loadQueries(dataDir: string): Promise<Query[]> {
  const queries: Query[] = [];
  for await (const { value } of jsonLines(join(dataDir, 'queries.jsonl'))) {
    const query = QueryLine.parse(value);
    queries.push({ id: query._id, text: query.text });
  }
  return queries;
}

/** Reads `qrels.tsv` (header line, then query-id, corpus-id, score). */
export async function loadQrels(dataDir: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  const lines = createInterface({ input: createReadStream(join(dataDir, 'qrels.tsv'), 'utf8') });
  let header = true;
  for await (const line of lines) {
    if (header || line.trim().length === 0) {
      header = false;
      continue;
    }
    const [queryId, documentId, score] = line.split('\t');
    const gain = Number(score);
    if (!queryId || !documentId || !Number.isFinite(gain))
      throw new Error(`Bad qrels line: ${line}`);
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(documentId, gain);
    qrels.set(queryId, judged);
  }
  return qrels;
}

/** The queries that have at least one judgement; only these are scored. */
export function judgedQueries(queries: Query[], qrels: Qrels): Query[] {
  return queries.filter((query) => (qrels.get(query.id)?.size ?? 0) > 0);
}

function discountedGain(gains: number[]): number {
  return gains.reduce((sum, gain, rank) => sum + gain / Math.log2(rank + 2), 0);
}

/** nDCG@k with graded gains from the qrels and the ideal ordering of all judged documents. */
export function ndcgAt(k: number, ranked: string[], judged: Map<string, number>): number {
  const gains = ranked.slice(0, k).map((id) => judged.get(id) ?? 0);
  const ideal = [...judged.values()].sort((left, right) => right - left).slice(0, k);
  const best = discountedGain(ideal);
  return best > 0 ? discountedGain(gains) / best : 0;
}

/** Share of the relevant (gain > 0) documents found in the first k. */
export function recallAt(k: number, ranked: string[], judged: Map<string, number>): number {
  const relevant = [...judged].filter(([, gain]) => gain > 0).map(([id]) => id);
  if (relevant.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}
