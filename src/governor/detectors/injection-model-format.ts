import type { FeatureVector } from './injection-features.js';
import { HASH_BITS } from './injection-features.js';

export const MODEL_FORMAT = 'keel-injection-logistic-v2';

/**
 * The model file `bench/train-injection.ts` writes. Only non-zero weights are stored: their
 * bucket indices in ascending order as gaps from the previous index, and their values as
 * integers to be divided by `weightScale`. Both keep the JSON small.
 */
export interface InjectionModelFile {
  format: string;
  hashBits: number;
  bias: number;
  /** Refusal threshold on the combined score, chosen on the training portion only. */
  threshold: number;
  /** Lower threshold at which a message is let through but flagged for audit. */
  flagThreshold: number;
  weightScale: number;
  indexGaps: number[];
  weights: number[];
  /** How the model was trained and how it did on the held-out split (see the trainer). */
  training: Record<string, unknown>;
}

/** A logistic regression over hashed features, expanded for constant-time lookups. */
export interface LinearModel {
  weights: Float32Array;
  bias: number;
}

/** Weights are rounded to this resolution when stored; smaller ones are dropped. */
export const WEIGHT_SCALE = 10_000;

export function decodeModel(file: InjectionModelFile): LinearModel {
  if (file.format !== MODEL_FORMAT || file.hashBits !== HASH_BITS) {
    throw new Error(
      `Injection model is ${file.format} over 2^${file.hashBits} buckets; this code expects ` +
        `${MODEL_FORMAT} over 2^${HASH_BITS}. Retrain with bench/train-injection.ts.`,
    );
  }
  if (file.indexGaps.length !== file.weights.length) {
    throw new Error('Injection model is corrupt: index and weight lists differ in length');
  }
  const weights = new Float32Array(1 << HASH_BITS);
  let index = 0;
  for (let position = 0; position < file.indexGaps.length; position++) {
    index += file.indexGaps[position]!;
    weights[index] = file.weights[position]! / file.weightScale;
  }
  return { weights, bias: file.bias };
}

/** Sparse, quantised form of dense `weights`: what `decodeModel` reads back. */
export function encodeWeights(weights: ArrayLike<number>): {
  indexGaps: number[];
  weights: number[];
} {
  const indexGaps: number[] = [];
  const stored: number[] = [];
  let previous = 0;
  for (let index = 0; index < weights.length; index++) {
    const quantised = Math.round(weights[index]! * WEIGHT_SCALE);
    if (quantised === 0) continue;
    indexGaps.push(index - previous);
    stored.push(quantised);
    previous = index;
  }
  return { indexGaps, weights: stored };
}

export function linearProbability(model: LinearModel, features: FeatureVector): number {
  let logit = model.bias;
  for (let position = 0; position < features.indices.length; position++) {
    logit += model.weights[features.indices[position]!]! * features.values[position]!;
  }
  return 1 / (1 + Math.exp(-logit));
}
