import { appendFile, readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SyncReport } from '../src/kb/sync.js';
import {
  isEntryPoint,
  megabytes,
  newWorkDir,
  openBenchKeel,
  removeWorkDir,
  syncCorpus,
  writeCorpus,
  writeResult,
} from './harness.js';
import { scifactDir } from './scifact.js';

const SAMPLE_MS = 50;
const MODIFIED = 10;
const TOUCHED = 5;
const DELETED = 5;

export interface PhaseResult {
  seconds: number;
  rssBeforeMB: number;
  rssPeakSampledMB: number;
  rssAfterMB: number;
  report: Pick<
    SyncReport,
    'status' | 'added' | 'updated' | 'removed' | 'unchanged' | 'documents' | 'chunks'
  > & {
    errors: number;
  };
}

export interface IngestResult {
  files: number;
  writeCorpusSeconds: number;
  initial: PhaseResult;
  unchanged: PhaseResult;
  incremental: PhaseResult & { modified: number; touched: number; deleted: number };
  /** Peak resident set of the whole process so far (includes writing the corpus). */
  processMaxRssMB: number;
  databaseMB: number;
}

/**
 * Samples `process.memoryUsage().rss` on a timer. Synchronous SQLite work holds the event loop,
 * so a short spike can fall between samples; `resourceUsage().maxRSS` is reported beside it.
 */
export async function measured(sync: () => Promise<SyncReport>): Promise<PhaseResult> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), SAMPLE_MS);
  const started = performance.now();
  try {
    const report = await sync();
    const seconds = (performance.now() - started) / 1000;
    const after = process.memoryUsage().rss;
    peak = Math.max(peak, after);
    const { status, added, updated, removed, unchanged, documents, chunks } = report;
    return {
      seconds: Math.round(seconds * 1000) / 1000,
      rssBeforeMB: megabytes(before),
      rssPeakSampledMB: megabytes(peak),
      rssAfterMB: megabytes(after),
      report: {
        status,
        added,
        updated,
        removed,
        unchanged,
        documents,
        chunks,
        errors: report.errors.length,
      },
    };
  } finally {
    clearInterval(timer);
  }
}

/** Modifies, touches (mtime only: content unchanged) and deletes a fixed set of files. */
async function editCorpus(corpusDir: string): Promise<void> {
  const names = (await readdir(corpusDir)).filter((name) => name.endsWith('.md')).sort();
  const modified = names.slice(0, MODIFIED);
  const touched = names.slice(MODIFIED, MODIFIED + TOUCHED);
  const deleted = names.slice(MODIFIED + TOUCHED, MODIFIED + TOUCHED + DELETED);
  const later = new Date(Date.now() + 60_000);
  for (const name of modified)
    await appendFile(join(corpusDir, name), '\nRevised for the ingestion benchmark.\n');
  for (const name of touched) await utimes(join(corpusDir, name), later, later);
  for (const name of deleted) await rm(join(corpusDir, name));
}

async function databaseBytes(dataDir: string): Promise<number> {
  const names = (await readdir(dataDir)).filter((name) => name.startsWith('keel.db'));
  const sizes = await Promise.all(
    names.map(async (name) => (await stat(join(dataDir, name))).size),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** Sync from empty, re-sync unchanged, then an incremental sync, each timed and sampled. */
export async function runIngest(options: {
  dataDir: string;
}): Promise<IngestResult & { workDir: string }> {
  const workDir = await newWorkDir('ingest');
  const writeStarted = performance.now();
  const { corpusDir, files } = await writeCorpus(workDir, options.dataDir);
  const writeCorpusSeconds = Math.round(performance.now() - writeStarted) / 1000;
  const keel = await openBenchKeel(workDir);
  try {
    const initial = await measured(() => syncCorpus(keel, corpusDir));
    const unchanged = await measured(() => syncCorpus(keel, corpusDir));
    await editCorpus(corpusDir);
    const incremental = await measured(() => syncCorpus(keel, corpusDir));
    return {
      files,
      writeCorpusSeconds,
      initial,
      unchanged,
      incremental: { ...incremental, modified: MODIFIED, touched: TOUCHED, deleted: DELETED },
      // maxRSS is in kibibytes.
      processMaxRssMB: megabytes(process.resourceUsage().maxRSS * 1024),
      databaseMB: megabytes(await databaseBytes(keel.config.dataDir)),
      workDir,
    };
  } finally {
    await keel.close();
  }
}

export function printIngest(result: IngestResult): void {
  console.log(
    `\nIngestion, ${result.files} SciFact abstracts as Markdown (written in ${result.writeCorpusSeconds} s)`,
  );
  const row = (phase: PhaseResult) => ({
    seconds: phase.seconds,
    'peak RSS MB (sampled)': phase.rssPeakSampledMB,
    added: phase.report.added,
    updated: phase.report.updated,
    removed: phase.report.removed,
    unchanged: phase.report.unchanged,
    chunks: phase.report.chunks,
    errors: phase.report.errors,
  });
  console.table({
    'from empty': row(result.initial),
    'nothing changed': row(result.unchanged),
    [`${MODIFIED} edited, ${TOUCHED} touched, ${DELETED} deleted`]: row(result.incremental),
  });
  console.log(`process maxRSS ${result.processMaxRssMB} MB, database ${result.databaseMB} MB`);
}

if (isEntryPoint(import.meta.url)) {
  const { workDir, ...result } = await runIngest({ dataDir: scifactDir() });
  await removeWorkDir(workDir);
  printIngest(result);
  const path = await writeResult('ingest', {
    command: 'node bin/run-ts.js bench/ingest.ts',
    ...result,
  });
  console.log(`wrote ${path}`);
}
