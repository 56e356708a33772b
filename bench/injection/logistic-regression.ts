import type { FeatureVector } from '../../src/governor/detectors/injection-features.js';
import { HASH_BITS } from '../../src/governor/detectors/injection-features.js';
import type { LinearModel } from '../../src/governor/detectors/injection-model-format.js';
import { linearProbability } from '../../src/governor/detectors/injection-model-format.js';

export interface TrainingOptions {
  /** L2 penalty: the loss is mean log-loss + l2 / 2 · ‖w‖² (the bias is not penalised). */
  l2: number;
  epochs: number;
  learningRate: number;
  /** Heavy-ball momentum; plain gradient descent converges too slowly at this penalty. */
  momentum: number;
}

export const DEFAULT_TRAINING: Omit<TrainingOptions, 'l2'> = {
  epochs: 400,
  learningRate: 2,
  momentum: 0.9,
};

export interface TrainedModel {
  weights: Float64Array;
  bias: number;
}

/**
 * L2-regularised logistic regression by full-batch gradient descent. Deterministic: the same
 * rows in the same order give the same weights. Only buckets that occur in some row can become
 * non-zero, so each step touches those and nothing else.
 */
export function trainLogisticRegression(
  rows: readonly FeatureVector[],
  labels: readonly boolean[],
  options: TrainingOptions,
): TrainedModel {
  const size = 1 << HASH_BITS;
  const weights = new Float64Array(size);
  const velocity = new Float64Array(size);
  const gradient = new Float64Array(size);
  const active = activeBuckets(rows);
  let bias = 0;
  let biasVelocity = 0;
  const count = rows.length;

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const index of active) gradient[index] = options.l2 * weights[index]!;
    let biasGradient = 0;
    for (let row = 0; row < count; row++) {
      const features = rows[row]!;
      let logit = bias;
      for (let position = 0; position < features.indices.length; position++) {
        logit += weights[features.indices[position]!]! * features.values[position]!;
      }
      const error = (1 / (1 + Math.exp(-logit)) - (labels[row] ? 1 : 0)) / count;
      biasGradient += error;
      for (let position = 0; position < features.indices.length; position++) {
        gradient[features.indices[position]!]! += error * features.values[position]!;
      }
    }
    for (const index of active) {
      velocity[index] =
        options.momentum * velocity[index]! - options.learningRate * gradient[index]!;
      weights[index]! += velocity[index]!;
    }
    biasVelocity = options.momentum * biasVelocity - options.learningRate * biasGradient;
    bias += biasVelocity;
  }
  return { weights, bias };
}

function activeBuckets(rows: readonly FeatureVector[]): Int32Array {
  const seen = new Set<number>();
  for (const row of rows) for (const index of row.indices) seen.add(index);
  return Int32Array.from(seen).sort();
}

/**
 * Keeps the `maxWeights` largest weights by magnitude and zeroes the rest. Rare n-grams get
 * tiny weights under L2; dropping them keeps the model file small and barely moves a score.
 */
export function pruneWeights(weights: Float64Array, maxWeights: number): Float64Array {
  const magnitudes = Array.from(weights, Math.abs).filter((magnitude) => magnitude > 0);
  if (magnitudes.length <= maxWeights) return weights;
  magnitudes.sort((left, right) => right - left);
  const floor = magnitudes[maxWeights - 1]!;
  return weights.map((weight) => (Math.abs(weight) >= floor ? weight : 0));
}

export function probabilities(model: LinearModel, rows: readonly FeatureVector[]): number[] {
  return rows.map((row) => linearProbability(model, row));
}
