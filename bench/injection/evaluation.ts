/** Deterministic pseudo-random numbers (mulberry32) so the split is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [result[index], result[other]] = [result[other]!, result[index]!];
  }
  return result;
}

/**
 * Assigns each row index to one of `folds` folds, dealing positives and negatives separately
 * so every fold keeps the label ratio of the whole.
 */
export function stratifiedFolds(
  labels: readonly boolean[],
  folds: number,
  random: () => number,
): number[] {
  const assignment = new Array<number>(labels.length).fill(0);
  for (const label of [true, false]) {
    const members = labels.flatMap((value, index) => (value === label ? [index] : []));
    shuffled(members, random).forEach((index, position) => (assignment[index] = position % folds));
  }
  return assignment;
}

export interface Metrics {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
}

export function measure(predicted: readonly boolean[], actual: readonly boolean[]): Metrics {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let trueNegatives = 0;
  predicted.forEach((guess, index) => {
    if (guess && actual[index]) truePositives++;
    else if (guess) falsePositives++;
    else if (actual[index]) falseNegatives++;
    else trueNegatives++;
  });
  const precision = truePositives / Math.max(1, truePositives + falsePositives);
  const recall = truePositives / Math.max(1, truePositives + falseNegatives);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const accuracy = (truePositives + trueNegatives) / Math.max(1, predicted.length);
  return {
    precision,
    recall,
    f1,
    accuracy,
    truePositives,
    falsePositives,
    falseNegatives,
    trueNegatives,
  };
}

/** F-beta; beta below 1 weighs precision more than recall. */
export function fBeta(metrics: Metrics, beta: number): number {
  const { precision, recall } = metrics;
  const weight = beta * beta;
  return precision + recall === 0
    ? 0
    : ((1 + weight) * precision * recall) / (weight * precision + recall);
}

/**
 * The threshold on `scores` with the best F-beta against `labels`, searched on a 0.01 grid
 * within `[lowest, highest]`; ties go to the higher threshold, the more conservative choice.
 */
export function chooseThreshold(
  scores: readonly number[],
  labels: readonly boolean[],
  beta: number,
  lowest = 0.05,
  highest = 0.95,
): number {
  let best = { threshold: highest, value: -1 };
  for (let step = Math.round(highest * 100); step >= Math.round(lowest * 100); step--) {
    const threshold = step / 100;
    const value = fBeta(
      measure(
        scores.map((score) => score >= threshold),
        labels,
      ),
      beta,
    );
    if (value > best.value) best = { threshold, value };
  }
  return best.threshold;
}

/** Mean log-loss of `probabilities` against `labels`, with its standard error over rows. */
export function logLoss(
  probabilities: readonly number[],
  labels: readonly boolean[],
): { mean: number; standardError: number } {
  const epsilon = 1e-12;
  const losses = probabilities.map((probability, index) => {
    const clipped = Math.min(1 - epsilon, Math.max(epsilon, probability));
    return labels[index] ? -Math.log(clipped) : -Math.log(1 - clipped);
  });
  const count = Math.max(1, losses.length);
  const mean = losses.reduce((total, loss) => total + loss, 0) / count;
  const variance =
    losses.reduce((total, loss) => total + (loss - mean) ** 2, 0) / Math.max(1, count - 1);
  return { mean, standardError: Math.sqrt(variance / count) };
}
