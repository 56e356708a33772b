/*
 * Trains the prompt-injection classifier and reports how the explicit rules, the classifier
 * and both combined do on a held-out split of the data set. Reproduce with:
 *
 *   node bin/run-ts.js bench/train-injection.ts [path/to/train.jsonl]
 *
 * Writes bench/results/injection.json and src/governor/detectors/injection-model.json.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import type { FeatureVector } from '../src/governor/detectors/injection-features.js';
import { extractFeatures } from '../src/governor/detectors/injection-features.js';
import type { Metrics } from './injection/evaluation.js';
import {
  chooseThreshold,
  logLoss,
  measure,
  seededRandom,
  stratifiedFolds,
} from './injection/evaluation.js';
import { combinedScores, crossValidate, fitModel, ruleVerdicts } from './injection/fitting.js';
import { probabilities } from './injection/logistic-regression.js';

const SEED = 20_240_601;
const HELD_OUT_FOLDS = 5; // one of five stratified folds, 20 %, is held out
const CROSS_VALIDATION_FOLDS = 5;
const L2_CANDIDATES = [1e-4, 3e-4, 1e-3, 3e-3];
/** F-beta with beta 0.5 picks the threshold: refusing a normal question costs a user more than
 *  letting a rephrased attack through to the output checks. */
const THRESHOLD_BETA = 0.5;

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataPath = process.argv[2]
  ? resolve(process.argv[2])
  : resolve(repositoryRoot, '../shared/data/prompt-injection/train.jsonl');
/*
 * Hand-written examples outside the data set's news-question domain: ordinary requests that
 * use the attack vocabulary harmlessly ("Where are the assembly instructions?", "How do I
 * ignore files in git?") and attacks in other styles. They join the training portion, so they
 * shape the model and its threshold, but never the held-out split: the held-out figures
 * measure the data set alone.
 */
const supplementPath = resolve(repositoryRoot, 'bench/injection/supplement.jsonl');
const resultsPath = resolve(repositoryRoot, 'bench/results/injection.json');
const modelPath = resolve(repositoryRoot, 'src/governor/detectors/injection-model.json');

const rowSchema = z.object({ text: z.string(), injection: z.boolean() });
type Row = z.infer<typeof rowSchema>;

async function loadRows(path: string): Promise<{ rows: Row[]; sha256: string }> {
  const content = await readFile(path, 'utf8');
  const lines = content.split('\n').filter((line) => line.trim() !== '');
  const rows = lines.map((line, index) => {
    const parsed = rowSchema.safeParse(JSON.parse(line) as unknown);
    if (!parsed.success) throw new Error(`${path}:${index + 1}: ${parsed.error.message}`);
    return parsed.data;
  });
  return { rows, sha256: createHash('sha256').update(content).digest('hex') };
}

interface Examples {
  texts: string[];
  features: FeatureVector[];
  labels: boolean[];
}

function examples(rows: readonly Row[]): Examples {
  return {
    texts: rows.map((row) => row.text),
    features: rows.map((row) => extractFeatures(row.text)),
    labels: rows.map((row) => row.injection),
  };
}

/**
 * The strongest penalty whose cross-validated log-loss is within one standard error of the
 * best (the "one-standard-error rule"): as good as the best on this data, and less tied to it.
 */
function chooseL2(training: Examples, folds: number[]) {
  const candidates = L2_CANDIDATES.map((l2) => {
    const scores = crossValidate(training, l2, folds);
    return { l2, scores, ...logLoss(scores, training.labels) };
  });
  const best = candidates.reduce((left, right) => (right.mean < left.mean ? right : left));
  const chosen = candidates
    .filter((candidate) => candidate.mean <= best.mean + best.standardError)
    .reduce((left, right) => (right.l2 > left.l2 ? right : left));
  return { chosen, candidates };
}

function formatTable(rows: Record<string, Metrics>): string {
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`.padStart(10);
  const count = (value: number) => String(value).padStart(5);
  const lines = ['detector   precision    recall        F1  accuracy   TP   FP   FN   TN'];
  for (const [name, metrics] of Object.entries(rows)) {
    const { precision, recall, f1, accuracy } = metrics;
    const { truePositives, falsePositives, falseNegatives, trueNegatives } = metrics;
    lines.push(
      name.padEnd(9) +
        [precision, recall, f1, accuracy].map(percent).join('') +
        [truePositives, falsePositives, falseNegatives, trueNegatives].map(count).join(''),
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { rows, sha256 } = await loadRows(dataPath);
  const supplement = (await loadRows(supplementPath)).rows;
  const random = seededRandom(SEED);
  const heldOutFold = stratifiedFolds(
    rows.map((row) => row.injection),
    HELD_OUT_FOLDS,
    random,
  );
  const training = examples([
    ...rows.filter((_, index) => heldOutFold[index] !== 0),
    ...supplement,
  ]);
  const heldOut = examples(rows.filter((_, index) => heldOutFold[index] === 0));

  // The penalty and the threshold are chosen on the training portion only.
  const folds = stratifiedFolds(training.labels, CROSS_VALIDATION_FOLDS, random);
  const { chosen, candidates } = chooseL2(training, folds);
  /*
   * One threshold, chosen on the classifier's out-of-fold scores, serves the combined score
   * too: rules can only raise a score, so combining adds detections and never loses one.
   */
  const threshold = chooseThreshold(chosen.scores, training.labels, THRESHOLD_BETA);

  const { model } = fitModel([training], chosen.l2);
  const heldOutScores = probabilities(model, heldOut.features);
  const heldOutMetrics: Record<string, Metrics> = {
    rules: measure(ruleVerdicts(heldOut.texts), heldOut.labels),
    model: measure(
      heldOutScores.map((score) => score >= threshold),
      heldOut.labels,
    ),
    combined: measure(
      combinedScores(heldOutScores, heldOut.texts).map((score) => score >= threshold),
      heldOut.labels,
    ),
  };

  const injections = heldOut.labels.filter(Boolean).length;
  console.log(
    `held-out: ${heldOut.labels.length} of ${rows.length} rows, ${injections} injections`,
  );
  console.log(`L2 ${chosen.l2}, threshold ${threshold}, both chosen by cross-validation`);
  console.log(formatTable(heldOutMetrics));

  const report = {
    command: 'node bin/run-ts.js bench/train-injection.ts',
    data: relative(repositoryRoot, dataPath),
    dataSha256: sha256,
    supplement: relative(repositoryRoot, supplementPath),
    supplementRows: supplement.length,
    seed: SEED,
    rows: rows.length,
    trainingRows: rows.length - heldOut.labels.length,
    heldOutRows: heldOut.labels.length,
    crossValidation: candidates.map(({ l2, mean, standardError }) => ({
      l2,
      logLoss: Number(mean.toFixed(4)),
      standardError: Number(standardError.toFixed(4)),
    })),
    l2: chosen.l2,
    threshold,
    heldOut: heldOutMetrics,
  };
  await mkdir(dirname(resultsPath), { recursive: true });
  await writeFile(resultsPath, `${JSON.stringify(report, null, 2)}\n`);

  // The shipped model learns from every row with the settings chosen above.
  const { file } = fitModel([examples([...rows, ...supplement])], chosen.l2);
  file.threshold = threshold;
  file.training = report;
  // Written as the formatter would write it, so `npm run lint` accepts the file as generated.
  const formatting = await resolveConfig(modelPath);
  await writeFile(modelPath, await format(JSON.stringify(file), { ...formatting, parser: 'json' }));
  const written = [resultsPath, modelPath].map((path) => relative(repositoryRoot, path));
  console.log(`wrote ${written.join(' and ')} (${file.weights.length} weights)`);
}

await main();
