import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { addSource } from '../src/kb/sources.js';
import type { SyncReport } from '../src/kb/sync.js';
import { type Keel, openKeel } from '../src/keel.js';
import type { Source } from '../src/store/store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { repoRoot, writeCorpusMarkdown } from './scifact.js';

export const SCIFACT_SOURCE = 'scifact';

/** The explicit environment every benchmark's Keel is configured from (see openBenchKeel). */
export function benchEnv(
  workDir: string,
  options: { bundledKnowledge?: boolean; env?: Record<string, string> } = {},
): Record<string, string> {
  return {
    KEEL_DATA_DIR: join(workDir, 'data'),
    KEEL_BUNDLED_KNOWLEDGE: options.bundledKnowledge ? 'true' : 'false',
    KEEL_LOG_LEVEL: 'silent',
    KEEL_LLM: 'extractive',
    KEEL_EMBEDDINGS: 'none',
    ...options.env,
  };
}

/**
 * A Keel on `workDir/data`, configured from an explicit environment so the caller's shell and
 * `keel.yaml` never change a figure: extractive chat, no embeddings (lexical only), silent logs.
 * `env` adds or overrides variables (the auth benchmark turns sign-in on).
 */
export async function openBenchKeel(
  workDir: string,
  options: { bundledKnowledge?: boolean; env?: Record<string, string> } = {},
): Promise<Keel> {
  const config = loadConfig({ env: benchEnv(workDir, options), file: '/nonexistent' });
  return openKeel(config, { logger: createLogger('silent') });
}

export async function newWorkDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `keel-bench-${name}-`));
}

/** Removes a folder made by `newWorkDir` (never anything else: the prefix is checked). */
export async function removeWorkDir(workDir: string): Promise<void> {
  if (!workDir.startsWith(join(tmpdir(), 'keel-bench-')))
    throw new Error(`not a bench folder: ${workDir}`);
  await rm(workDir, { recursive: true, force: true });
}

/** Writes the corpus as Markdown under `workDir/corpus` (once) and returns the folder. */
export async function writeCorpus(
  workDir: string,
  dataDir: string,
): Promise<{ corpusDir: string; files: number }> {
  const corpusDir = join(workDir, 'corpus');
  await mkdir(corpusDir, { recursive: true });
  const files = await writeCorpusMarkdown(dataDir, corpusDir);
  return { corpusDir, files };
}

/** Registers the corpus folder as source `scifact` unless it is already there, then syncs it. */
export async function syncCorpus(keel: Keel, corpusDir: string): Promise<SyncReport> {
  const source =
    (await keel.store.findSourceByName(SCIFACT_SOURCE)) ??
    (await addSource(keel.store, { name: SCIFACT_SOURCE, kind: 'folder', location: corpusDir }));
  const report = await keel.syncSource(source);
  if (report.status !== 'ok') {
    const sample = report.errors.slice(0, 3).map((error) => `${error.path}: ${error.message}`);
    console.warn(
      `sync of ${SCIFACT_SOURCE} ended "${report.status}": ${report.message ?? ''} ${sample.join('; ')}`,
    );
  }
  return report;
}

export interface ScifactKeel {
  keel: Keel;
  source: Source;
  workDir: string;
  sync: SyncReport;
}

/**
 * A Keel with the SciFact corpus synced. Given a `workDir` from an earlier run, the corpus files
 * and database are reused (the sync then changes nothing); otherwise a new temp folder is made.
 */
export async function openScifactKeel(options: {
  dataDir: string;
  workDir?: string;
  bundledKnowledge?: boolean;
  env?: Record<string, string>;
}): Promise<ScifactKeel> {
  const workDir = options.workDir ?? (await newWorkDir('scifact'));
  const corpusDir = join(workDir, 'corpus');
  if (!existsSync(corpusDir)) await writeCorpus(workDir, options.dataDir);
  const keel = await openBenchKeel(workDir, {
    bundledKnowledge: options.bundledKnowledge ?? false,
    ...(options.env && { env: options.env }),
  });
  const sync = await syncCorpus(keel, corpusDir);
  const source = await keel.store.findSourceByName(SCIFACT_SOURCE);
  if (!source) throw new Error(`source ${SCIFACT_SOURCE} vanished after sync`);
  return { keel, source, workDir, sync };
}

export function machine() {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

export async function writeResult(name: string, result: Record<string, unknown>): Promise<string> {
  const folder = join(repoRoot, 'bench', 'results');
  await mkdir(folder, { recursive: true });
  const path = join(folder, `${name}.json`);
  const body = { measuredAt: new Date().toISOString(), machine: machine(), ...result };
  await writeFile(path, `${JSON.stringify(body, null, 2)}\n`);
  return path;
}

/** True when this module is the file `node bin/run-ts.js FILE` was asked to run. */
export function isEntryPoint(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

export function megabytes(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** The value after `name` on the command line, or `fallback`. */
export function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}
