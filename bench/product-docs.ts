import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Keel } from '../src/keel.js';
import { addSource } from '../src/kb/sources.js';
import type { SearchHit } from '../src/search/search-service.js';
import { isEntryPoint, newWorkDir, openBenchKeel, removeWorkDir, writeResult } from './harness.js';
import { printRetrieval, runRetrieval } from './retrieval.js';
import { repoRoot, scifactDir } from './scifact.js';

/**
 * Retrieval on real product documentation: the Markdown docs npm packages ship (Fastify's and
 * Pino's docs, ioredis's README), each with real users' questions from public GitHub issues and
 * the reference answer from the docs (`product-docs-*questions.json`, each with its URL). A
 * question counts as answered when one of the top 5 passages holds the documentation's statement
 * of the answer (every evidence phrase). Several products, so tuning for one set's wording shows
 * on the others; SciFact nDCG@10 is measured beside them, so neither can silently cost it.
 */

const TOP = 5;
/** Depth of the mean reciprocal rank: where in the first 10 the first passage holding the answer is. */
const MRR_DEPTH = 10;
const questionsSchema = z.object({
  corpus: z.string(),
  questions: z.array(
    z.object({
      question: z.string(),
      answer: z.string(),
      evidence: z.array(z.string()).min(1),
      source: z.url(),
    }),
  ),
});

/**
 * A documentation set: the npm package whose `docs/` folder (or README alone) is indexed, and its
 * questions. The overall figure is over the sets the search was tuned on; ioredis is a check
 * written afterwards, printed on its own, so an easier set cannot lift the overall figure.
 */
const DOC_SETS = [
  { name: 'fastify', questions: 'product-docs-questions.json', docs: 'docs', check: false },
  { name: 'pino', questions: 'product-docs-pino-questions.json', docs: 'docs', check: false },
  {
    name: 'ioredis',
    questions: 'product-docs-ioredis-questions.json',
    docs: 'README.md',
    check: true,
  },
] as const;

/** Text as compared: blockquote marks and spacing dropped, lower case. */
const normalise = (text: string) =>
  text
    .replace(/^\s*>\s?/gm, '')
    .replace(/\s+/g, ' ')
    .toLowerCase();

export function holdsAnswer(hit: SearchHit, evidence: string[]): boolean {
  const text = normalise(hit.chunk.text);
  return evidence.every((phrase) => text.includes(normalise(phrase)));
}

export interface DocSetResult {
  name: string;
  /** Written after tuning, to check the search generalises; outside the overall figure. */
  check: boolean;
  version: string;
  questions: number;
  top5HitRate: number;
  /** Mean over questions of 1 / rank of the first passage holding the answer (0 past rank 10). */
  mrr10: number;
  misses: { question: string; source: string; top: string[] }[];
}

export interface ProductDocsResult {
  sets: DocSetResult[];
  /** Over every question of the sets that are not checks. */
  top5HitRate: number;
  mrr10: number;
  /** Rank (1-based) of the bundled overview (knowledge/README.md) for "What is Keel?". */
  whatIsKeelOverviewRank: number | null;
}

async function runDocSet(
  keel: Keel,
  workDir: string,
  set: (typeof DOC_SETS)[number],
): Promise<DocSetResult> {
  const { questions } = questionsSchema.parse(
    JSON.parse(await readFile(join(repoRoot, 'bench', set.questions), 'utf8')),
  );
  const packageDir = join(repoRoot, 'node_modules', set.name);
  const { version } = z
    .object({ version: z.string() })
    .parse(JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')));
  const corpus = join(workDir, `${set.name}-docs`);
  const docs = join(packageDir, set.docs);
  await cp(docs, set.docs === 'docs' ? corpus : join(corpus, set.docs), { recursive: true });
  const source = await addSource(keel.store, { name: set.name, kind: 'folder', location: corpus });
  await keel.syncSource(source);

  let answered = 0;
  let reciprocalRanks = 0;
  const misses: DocSetResult['misses'] = [];
  for (const item of questions) {
    const hits = await keel.search.search(item.question, {
      k: MRR_DEPTH,
      sourceIds: [source.id],
    });
    const rank = hits.findIndex((hit) => holdsAnswer(hit, item.evidence)) + 1;
    if (rank > 0) reciprocalRanks += 1 / rank;
    if (rank > 0 && rank <= TOP) answered += 1;
    else
      misses.push({
        question: item.question,
        source: item.source,
        top: hits.slice(0, TOP).map((hit) => `${hit.chunk.path}#${hit.chunk.heading}`),
      });
  }
  return {
    name: set.name,
    check: set.check,
    version,
    questions: questions.length,
    top5HitRate: answered / questions.length,
    mrr10: reciprocalRanks / questions.length,
    misses,
  };
}

export async function runProductDocs(): Promise<ProductDocsResult> {
  const workDir = await newWorkDir('product-docs');
  const keel = await openBenchKeel(workDir);
  try {
    const sets: DocSetResult[] = [];
    for (const set of DOC_SETS) sets.push(await runDocSet(keel, workDir, set));
    const overview = await addSource(keel.store, {
      name: 'keel-docs',
      kind: 'folder',
      location: join(repoRoot, 'knowledge'),
    });
    await keel.syncSource(overview);
    const keelHits = await keel.search.search('What is Keel?', {
      k: 10,
      sourceIds: [overview.id],
    });
    const rank = keelHits.findIndex((hit) => hit.chunk.path === 'README.md');
    const tuned = sets.filter((set) => !set.check);
    const total = tuned.reduce((sum, set) => sum + set.questions, 0);
    const answered = tuned.reduce((sum, set) => sum + set.top5HitRate * set.questions, 0);
    const reciprocalRanks = tuned.reduce((sum, set) => sum + set.mrr10 * set.questions, 0);
    return {
      sets: sets.map((set) => ({
        ...set,
        top5HitRate: round(set.top5HitRate),
        mrr10: round(set.mrr10),
      })),
      top5HitRate: round(answered / total),
      mrr10: round(reciprocalRanks / total),
      whatIsKeelOverviewRank: rank >= 0 ? rank + 1 : null,
    };
  } finally {
    await keel.close();
    await removeWorkDir(workDir);
  }
}

const round = (rate: number) => Math.round(rate * 1000) / 1000;
const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

if (isEntryPoint(import.meta.url)) {
  const result = await runProductDocs();
  for (const set of result.sets) {
    console.log(
      `\n${set.name} ${set.version} docs${set.check ? ' (check)' : ''}, ${set.questions} real questions: top-${TOP} hit rate ${percent(set.top5HitRate)}, MRR@${MRR_DEPTH} ${set.mrr10}`,
    );
    for (const miss of set.misses) {
      console.log(`  missed: ${miss.question} (${miss.source})\n    top: ${miss.top.join(' | ')}`);
    }
  }
  console.log(
    `\n${result.sets
      .filter((set) => !set.check)
      .map((set) => set.name)
      .join(
        ' + ',
      )}: top-${TOP} hit rate ${percent(result.top5HitRate)} (target >= 85%), MRR@${MRR_DEPTH} ${result.mrr10}`,
  );
  console.log(
    `"What is Keel?": overview (knowledge/README.md) at rank ${result.whatIsKeelOverviewRank}`,
  );
  let scifact: Awaited<ReturnType<typeof runRetrieval>> | undefined;
  if (!process.argv.includes('--no-scifact')) {
    scifact = await runRetrieval({ dataDir: scifactDir() });
    printRetrieval(scifact);
    await removeWorkDir(scifact.workDir);
  }
  const path = await writeResult('product-docs', {
    command: 'node bin/run-ts.js bench/product-docs.ts',
    ...result,
    ...(scifact && { scifactNdcg10: scifact.ndcg10, scifactRecall100: scifact.recall100 }),
  });
  console.log(`wrote ${path}`);
}
