/*
 * Trains the prompt-injection classifier and chooses its two thresholds. Reproduce with:
 *
 *   node bin/run-ts.js bench/injection/assemble.ts   # only when bench/injection/sources/ changed
 *   node bin/run-ts.js bench/train-injection.ts [path/to/shared/train.jsonl]
 *
 * Training rows: 80 % of the shared data set, the hand-written supplement, and the training side
 * of the assembled set (bench/injection/assembled/train.jsonl). Never trained on, never used to
 * choose anything: the other 20 % of the shared set and bench/injection/assembled/held-out.jsonl,
 * which `bench/injection-eval.ts` measures. The shipped model is fitted on the training rows only.
 *
 * Writes bench/results/injection.json and src/governor/detectors/injection-model.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { FeatureVector } from '../src/governor/detectors/injection-features.js';
import { extractFeatures } from '../src/governor/detectors/injection-features.js';
import type { Metrics } from './injection/evaluation.js';
import { logLoss, measure, seededRandom, stratifiedFolds } from './injection/evaluation.js';
import type { Row } from './injection/data.js';
import {
  assembledTrainPath,
  loadRows,
  repositoryRoot,
  sharedDataPath,
  splitShared,
  supplementPath,
  SHARED_SPLIT_SEED,
} from './injection/data.js';
import { combinedScores, crossValidate, fitModel, ruleVerdicts } from './injection/fitting.js';
import { probabilities } from './injection/logistic-regression.js';

const CROSS_VALIDATION_FOLDS = 5;
const L2_CANDIDATES = [1e-4, 3e-4, 1e-3, 3e-3];
/**
 * Refusing a real user's question costs more than letting a rephrased attack reach the output
 * checks: the refusal threshold is the lowest at which at most this share of the benign training
 * rows is refused, on out-of-fold scores (the target on unseen questions is 0.5 %).
 */
const REFUSE_MAX_FALSE_POSITIVE_RATE = 0.0025;
/** Flagging only adds an audit mark, so it may catch more: at most this share of benign rows. */
const FLAG_MAX_FALSE_POSITIVE_RATE = 0.03;
/** Every rule must decide on its own, so the refusal threshold stays at or below their confidence. */
const HIGHEST_REFUSE_THRESHOLD = 0.9;

const dataPath = process.argv[2] ? resolve(process.argv[2]) : sharedDataPath;
const resultsPath = resolve(repositoryRoot, 'bench/results/injection.json');
const modelPath = resolve(repositoryRoot, 'src/governor/detectors/injection-model.json');

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

/**
 * The lowest threshold on a 0.01 grid in [0.3, highest] at which at most `maxRate` of the benign
 * rows score at or above it: as many attacks caught as that false-positive budget allows.
 */
function thresholdForFalsePositiveRate(
  scores: readonly number[],
  labels: readonly boolean[],
  maxRate: number,
  highest: number,
): number {
  const benign = scores.filter((_, index) => !labels[index]);
  for (let step = 30; step <= Math.round(highest * 100); step++) {
    const threshold = step / 100;
    const refused = benign.filter((score) => score >= threshold).length;
    if (refused <= maxRate * benign.length) return threshold;
  }
  return highest;
}

async function main(): Promise<void> {
  const shared = await loadRows(dataPath);
  const { training: sharedTraining, heldOut: sharedHeldOut } = splitShared(shared.rows);
  const supplement = (await loadRows(supplementPath)).rows;
  const assembled = await loadRows(assembledTrainPath);
  const trainingRows = [...sharedTraining, ...supplement, ...assembled.rows];
  const training = examples(trainingRows);
  const heldOut = examples(sharedHeldOut);

  // The penalty and both thresholds are chosen on the training rows only, out of fold.
  const folds = stratifiedFolds(
    training.labels,
    CROSS_VALIDATION_FOLDS,
    seededRandom(SHARED_SPLIT_SEED + 1),
  );
  const { chosen, candidates } = chooseL2(training, folds);
  /*
   * Thresholds are chosen on the classifier's out-of-fold scores: rules can only raise a score,
   * so the combined score catches at least as much; their own false positives are kept out by
   * their patterns (see injection-rules.ts and its tests).
   */
  const threshold = thresholdForFalsePositiveRate(
    chosen.scores,
    training.labels,
    REFUSE_MAX_FALSE_POSITIVE_RATE,
    HIGHEST_REFUSE_THRESHOLD,
  );
  const flagThreshold = Math.min(
    threshold,
    thresholdForFalsePositiveRate(
      chosen.scores,
      training.labels,
      FLAG_MAX_FALSE_POSITIVE_RATE,
      HIGHEST_REFUSE_THRESHOLD,
    ),
  );
  const outOfFold = measure(
    combinedScores(chosen.scores, training.texts).map((score) => score >= threshold),
    training.labels,
  );

  const { model, file } = fitModel([training], chosen.l2);
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

  console.log(
    `training: ${training.labels.length} rows (${training.labels.filter(Boolean).length} injections)`,
  );
  console.log(
    `L2 ${chosen.l2}, refuse at ${threshold}, flag at ${flagThreshold}, all chosen out of fold`,
  );
  console.log('out of fold on the training rows (combined):');
  console.log(formatTable({ combined: outOfFold }));
  console.log(`shared data set, held-out 20 % (${heldOut.labels.length} rows):`);
  console.log(formatTable(heldOutMetrics));
  console.log(
    'per family on the assembled held-out set: node bin/run-ts.js bench/injection-eval.ts',
  );

  const report = {
    command: 'node bin/run-ts.js bench/train-injection.ts',
    data: relative(repositoryRoot, dataPath),
    dataSha256: shared.sha256,
    assembled: relative(repositoryRoot, assembledTrainPath),
    assembledSha256: assembled.sha256,
    supplement: relative(repositoryRoot, supplementPath),
    supplementRows: supplement.length,
    seed: SHARED_SPLIT_SEED,
    trainingRows: training.labels.length,
    heldOutRows: heldOut.labels.length,
    crossValidation: candidates.map(({ l2, mean, standardError }) => ({
      l2,
      logLoss: Number(mean.toFixed(4)),
      standardError: Number(standardError.toFixed(4)),
    })),
    l2: chosen.l2,
    threshold,
    flagThreshold,
    outOfFold,
    heldOut: heldOutMetrics,
  };
  await mkdir(dirname(resultsPath), { recursive: true });
  await writeFile(resultsPath, `${JSON.stringify(report, null, 2)}\n`);

  file.threshold = threshold;
  file.flagThreshold = flagThreshold;
  file.training = report;
  // Written as the formatter would write it, so `npm run lint` accepts the file as generated.
  const formatting = await resolveConfig(modelPath);
  await writeFile(modelPath, await format(JSON.stringify(file), { ...formatting, parser: 'json' }));
  const written = [resultsPath, modelPath].map((path) => relative(repositoryRoot, path));
  console.log(`wrote ${written.join(' and ')} (${file.weights.length} weights)`);
}

await main();
