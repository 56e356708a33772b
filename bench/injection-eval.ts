/*
 * The prompt-injection detector on held-out data it was not trained on: the share of each
 * attack family it refuses (TPR), the share of benign questions it refuses (FPR), the share it
 * flags for audit, and the time per check. Reproduce with:
 *
 *   node bin/run-ts.js bench/injection-eval.ts [--before DIR]
 *
 * `--before DIR` also measures the detector of another checkout (for example an export of the
 * commit before a change: `git archive COMMIT | tar -x -C DIR` plus a node_modules symlink), on
 * the same rows. Held-out rows: bench/injection/assembled/held-out.jsonl (see
 * bench/injection/sources/PROVENANCE.md) and the 20 % of the shared data set the trainer holds
 * out. Writes bench/results/injection-eval.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Row } from './injection/data.js';
import {
  assembledHeldOutPath,
  loadRows,
  repositoryRoot,
  sharedDataPath,
  splitShared,
} from './injection/data.js';

interface Verdict {
  refused: boolean;
  flagged: boolean;
}
type Detector = (text: string) => Verdict;

interface FamilyFigures {
  rows: number;
  injection: boolean;
  refused: number;
  flagged: number;
  refusedShare: number;
  flaggedShare: number;
}

/* The module's public surface, old or new: `flagThreshold` exists from the two-threshold
 * detector on; before it, nothing is flagged short of a refusal. */
interface DetectorModule {
  scoreInjection: (text: string) => { score: number };
  DEFAULT_INJECTION_THRESHOLD: number;
  DEFAULT_INJECTION_FLAG_THRESHOLD?: number;
}

async function loadDetector(root: string): Promise<Detector> {
  const url = pathToFileURL(resolve(root, 'src/governor/detectors/injection.ts')).href;
  const module = (await import(url)) as DetectorModule;
  const refuseAt = module.DEFAULT_INJECTION_THRESHOLD;
  const flagAt = module.DEFAULT_INJECTION_FLAG_THRESHOLD ?? refuseAt;
  return (text) => {
    const { score } = module.scoreInjection(text);
    return { refused: score >= refuseAt, flagged: score >= flagAt && score < refuseAt };
  };
}

function figures(detector: Detector, rows: readonly Row[]): Record<string, FamilyFigures> {
  const result: Record<string, FamilyFigures> = {};
  for (const row of rows) {
    const family = row.family ?? (row.injection ? 'injection' : 'benign');
    const entry = (result[family] ??= {
      rows: 0,
      injection: row.injection,
      refused: 0,
      flagged: 0,
      refusedShare: 0,
      flaggedShare: 0,
    });
    const verdict = detector(row.text);
    entry.rows++;
    if (verdict.refused) entry.refused++;
    if (verdict.flagged) entry.flagged++;
  }
  for (const entry of Object.values(result)) {
    entry.refusedShare = entry.refused / entry.rows;
    entry.flaggedShare = entry.flagged / entry.rows;
  }
  return result;
}

function latency(detector: Detector, rows: readonly Row[]): { p50Ms: number; p99Ms: number } {
  for (const row of rows.slice(0, 200)) detector(row.text); // warm-up, and the model load
  const timings: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const row of rows) {
      const started = performance.now();
      detector(row.text);
      timings.push(performance.now() - started);
    }
  }
  timings.sort((left, right) => left - right);
  const at = (share: number) =>
    timings[Math.min(timings.length - 1, Math.floor(share * timings.length))]!;
  return { p50Ms: Number(at(0.5).toFixed(4)), p99Ms: Number(at(0.99).toFixed(4)) };
}

function print(label: string, sets: Record<string, Record<string, FamilyFigures>>): void {
  console.log(`\n${label}`);
  console.log('set        family        rows  metric  refused   flagged');
  for (const [set, families] of Object.entries(sets)) {
    for (const [family, entry] of Object.entries(families)) {
      const percent = (value: number) => `${(value * 100).toFixed(1)}%`.padStart(8);
      console.log(
        set.padEnd(11) +
          family.padEnd(13) +
          String(entry.rows).padStart(5) +
          (entry.injection ? '  TPR   ' : '  FPR   ') +
          percent(entry.refusedShare) +
          percent(entry.flaggedShare),
      );
    }
  }
}

/**
 * bench/injection/fresh/: rows written by hand after the detector's rules and features were
 * settled, and measured only once after, as a check that the figures on the assembled set do not
 * come from having looked at it.
 */
async function loadFresh(): Promise<Row[]> {
  const directory = resolve(repositoryRoot, 'bench/injection/fresh');
  const benign = (await readFile(resolve(directory, 'benign.txt'), 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((text) => ({ text, injection: false, family: 'benign' }));
  const attacks = (await readFile(resolve(directory, 'attacks.jsonl'), 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { text, family } = JSON.parse(line) as { text: string; family: string };
      return { text, injection: true, family };
    });
  return [...benign, ...attacks];
}

async function main(): Promise<void> {
  const beforeIndex = process.argv.indexOf('--before');
  const beforeRoot = beforeIndex > 0 ? resolve(process.argv[beforeIndex + 1] ?? '') : undefined;
  const assembled = (await loadRows(assembledHeldOutPath)).rows;
  const shared = splitShared((await loadRows(sharedDataPath)).rows).heldOut.map((row) => ({
    ...row,
    family: row.injection ? 'injection' : 'benign',
  }));
  const fresh = await loadFresh();
  const all = [...assembled, ...shared, ...fresh];

  const report: Record<string, unknown> = {
    command: 'node bin/run-ts.js bench/injection-eval.ts' + (beforeRoot ? ' --before DIR' : ''),
    heldOut: { assembled: assembled.length, shared: shared.length, fresh: fresh.length },
  };
  const runs: [string, string][] = [];
  if (beforeRoot) runs.push(['before', beforeRoot]);
  runs.push(['after', repositoryRoot]);
  for (const [label, root] of runs) {
    const detector = await loadDetector(root);
    const sets = {
      assembled: figures(detector, assembled),
      shared: figures(detector, shared),
      fresh: figures(detector, fresh),
    };
    const timing = latency(detector, all);
    print(`${label} (${root}): p50 ${timing.p50Ms} ms, p99 ${timing.p99Ms} ms per check`, sets);
    report[label] = { ...sets, latency: timing };
  }
  const path = resolve(repositoryRoot, 'bench/results/injection-eval.json');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}

await main();
