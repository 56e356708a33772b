import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { addSource } from '../src/kb/sources.js';
import type { SearchHit } from '../src/search/search-service.js';
import { isEntryPoint, newWorkDir, openBenchKeel, removeWorkDir, writeResult } from './harness.js';
import { printRetrieval, runRetrieval } from './retrieval.js';
import { repoRoot, scifactDir } from './scifact.js';

/**
 * Retrieval on real product documentation: Fastify's Markdown docs as its npm package ships them,
 * and real users' questions from public GitHub issues with the maintainers' answers
 * (`product-docs-questions.json`, each with its URL). A question counts as answered when one of
 * the top 5 passages holds the documentation's statement of the answer (every evidence phrase).
 * SciFact nDCG@10 is measured beside it, so tuning for one cannot silently cost the other.
 */

const TOP = 5;
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

export interface ProductDocsResult {
  questions: number;
  top5HitRate: number;
  misses: { question: string; source: string; top: string[] }[];
  /** Rank (1-based) of the bundled overview (knowledge/README.md) for "What is Keel?". */
  whatIsKeelOverviewRank: number | null;
  fastifyVersion: string;
}

export async function runProductDocs(): Promise<ProductDocsResult> {
  const { questions } = questionsSchema.parse(
    JSON.parse(await readFile(join(repoRoot, 'bench', 'product-docs-questions.json'), 'utf8')),
  );
  const fastifyDir = join(repoRoot, 'node_modules', 'fastify');
  const { version } = z
    .object({ version: z.string() })
    .parse(JSON.parse(await readFile(join(fastifyDir, 'package.json'), 'utf8')));
  const workDir = await newWorkDir('product-docs');
  const corpus = join(workDir, 'fastify-docs');
  await cp(join(fastifyDir, 'docs'), corpus, { recursive: true });
  const keel = await openBenchKeel(workDir);
  try {
    const docs = await addSource(keel.store, { name: 'fastify', kind: 'folder', location: corpus });
    await keel.syncSource(docs);
    const overview = await addSource(keel.store, {
      name: 'keel-docs',
      kind: 'folder',
      location: join(repoRoot, 'knowledge'),
    });
    await keel.syncSource(overview);

    let answered = 0;
    const misses: ProductDocsResult['misses'] = [];
    for (const item of questions) {
      const hits = await keel.search.search(item.question, { k: TOP, sourceIds: [docs.id] });
      if (hits.some((hit) => holdsAnswer(hit, item.evidence))) answered += 1;
      else
        misses.push({
          question: item.question,
          source: item.source,
          top: hits.map((hit) => `${hit.chunk.path}#${hit.chunk.heading}`),
        });
    }
    const keelHits = await keel.search.search('What is Keel?', {
      k: 10,
      sourceIds: [overview.id],
    });
    const rank = keelHits.findIndex((hit) => hit.chunk.path === 'README.md');
    return {
      questions: questions.length,
      top5HitRate: Math.round((answered / questions.length) * 1000) / 1000,
      misses,
      whatIsKeelOverviewRank: rank >= 0 ? rank + 1 : null,
      fastifyVersion: version,
    };
  } finally {
    await keel.close();
    await removeWorkDir(workDir);
  }
}

if (isEntryPoint(import.meta.url)) {
  const result = await runProductDocs();
  console.log(
    `\nProduct documentation (fastify ${result.fastifyVersion} docs, ${result.questions} real questions)`,
  );
  console.log(`top-${TOP} hit rate: ${(result.top5HitRate * 100).toFixed(1)}% (target >= 85%)`);
  for (const miss of result.misses) {
    console.log(`  missed: ${miss.question} (${miss.source})\n    top: ${miss.top.join(' | ')}`);
  }
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
